"""Reads the resolver's cached search results (for `/play` autocomplete); never writes them.

The worker's resolver caches every search under `keys.cache("search", sha256(f"{prefix}|{size}|{query}"))` as
`{"tracks": [Track, ...]}` (worker/resolve/search.py). The gateway may not import the worker, so the format is
repeated here and pinned by a contract test (tests/gateway/test_search_cache.py) that writes with the worker's code.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Final

from pydantic import ValidationError
from redis.asyncio import Redis

from shared.keys import Keys
from shared.models import Track, WireModel
from shared.redis_typing import aw

_log: Final = logging.getLogger(__name__)
RESOLVER_SEARCH_SIZE: Final = 5
"""How many results the resolver fetches per search (worker.resolve.search.SEARCH_SIZE)."""


class _CachedTracks(WireModel):
    tracks: tuple[Track, ...] = ()


def cache_key(search_prefix: str, query: str) -> str:
    text = " ".join(query.split()).lower()
    return f"{search_prefix}|{RESOLVER_SEARCH_SIZE}|{text}"


class ResolverSearchCache:
    def __init__(self, redis: Redis, keys: Keys, *, search_prefix: str) -> None:
        self._redis = redis
        self._keys = keys
        self._prefix = search_prefix

    async def tracks(self, query: str) -> tuple[Track, ...]:
        """The cached results for exactly this query (case and spacing aside), or nothing."""
        if not query.strip():
            return ()
        digest = hashlib.sha256(cache_key(self._prefix, query).encode("utf-8", errors="surrogatepass")).hexdigest()
        key = self._keys.cache("search", digest)
        raw = await aw(self._redis.get(key))
        if raw is None:
            return ()
        try:
            return _CachedTracks.model_validate_json(raw).tracks
        except ValidationError:
            _log.warning("ignoring a cached search at %s that does not validate", key)
            return ()
