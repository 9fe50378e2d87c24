"""Reads the resolver's cached search results (for `/play` autocomplete); never writes them.

The worker's resolver caches every provider's search under `Keys.search_results(provider, SEARCH_SIZE, query)` as a
`CachedTracks` (worker/resolve/chain.py); autocomplete offers the first cached results in the operator's provider
order (`Settings.search_providers`). Both sides use that one key method and that one model, and a contract test
(tests/gateway/test_search_cache.py) writes with the worker's code.
"""

from __future__ import annotations

from collections.abc import Sequence

from redis.asyncio import Redis

from shared.jobs import SEARCH_SIZE
from shared.keys import Keys
from shared.models import CachedTracks, Track
from shared.redis_typing import aw


class ResolverSearchCache:
    def __init__(self, redis: Redis, keys: Keys, *, providers: Sequence[str]) -> None:
        self._redis = redis
        self._keys = keys
        self._providers = tuple(providers)

    async def tracks(self, query: str) -> tuple[Track, ...]:
        """The cached results for exactly this query (case and spacing aside), or nothing."""
        if not query.strip():
            return ()
        keys = [self._keys.search_results(provider, SEARCH_SIZE, query) for provider in self._providers]
        for key, raw in zip(keys, await aw(self._redis.mget(keys)), strict=True):
            cached = CachedTracks.stored(raw, key)
            if cached is not None and cached.tracks:
                return cached.tracks
        return ()
