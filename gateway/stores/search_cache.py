"""Reads the resolver's cached search results (for `/play` autocomplete); never writes them.

The worker's resolver caches every search under `Keys.search_results(prefix, SEARCH_SIZE, query)` as a
`CachedTracks` (worker/resolve/search.py); both sides use that one key method and that one model, and a contract test
(tests/gateway/test_search_cache.py) writes with the worker's code.
"""

from __future__ import annotations

from redis.asyncio import Redis

from shared.jobs import SEARCH_SIZE
from shared.keys import Keys
from shared.models import CachedTracks, Track
from shared.redis_typing import aw


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
        cached = CachedTracks.stored(await aw(self._redis.get(key)), key)
        return () if cached is None else cached.tracks
