"""Reads the resolver's cached search results (for `/play` autocomplete); never writes them.

The worker's resolver caches every search under `Keys.search_results(prefix, SEARCH_SIZE, query)` as
`{"tracks": [Track, ...]}` (worker/resolve/search.py); both sides build the key with that one method. The gateway may
not import the worker, so the value's model is repeated here and pinned by a contract test
(tests/gateway/test_search_cache.py) that writes with the worker's code.
"""

from __future__ import annotations

import logging
from typing import Final

from pydantic import ValidationError
from redis.asyncio import Redis

from shared.jobs import SEARCH_SIZE
from shared.keys import Keys
from shared.models import Track, WireModel
from shared.redis_typing import aw

_log: Final = logging.getLogger(__name__)


class _CachedTracks(WireModel):
    tracks: tuple[Track, ...] = ()


class ResolverSearchCache:
    def __init__(self, redis: Redis, keys: Keys, *, search_prefix: str) -> None:
        self._redis = redis
        self._keys = keys
        self._prefix = search_prefix

    async def tracks(self, query: str) -> tuple[Track, ...]:
        """The cached results for exactly this query (case and spacing aside), or nothing."""
        if not query.strip():
            return ()
        key = self._keys.search_results(self._prefix, SEARCH_SIZE, query)
        raw = await aw(self._redis.get(key))
        if raw is None:
            return ()
        try:
            return _CachedTracks.model_validate_json(raw).tracks
        except ValidationError:
            _log.warning("ignoring a cached search at %s that does not validate", key)
            return ()
