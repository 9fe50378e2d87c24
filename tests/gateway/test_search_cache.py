"""Contract: the gateway reads the search results the worker's resolver caches, in the worker's own format.

The cache entry is written with the worker's code (ResolveCache, CachedTracks, the key of `Keys.search_results`), so
a change on either side fails here instead of silently emptying `/play` autocomplete.
"""

from __future__ import annotations

from redis.asyncio import Redis

from gateway.commands.play import Suggestions
from gateway.stores.search_cache import ResolverSearchCache
from shared.jobs import SEARCH_SIZE
from shared.keys import Keys
from shared.models import CachedTracks, Track
from tests.gateway.doubles import GUILD
from worker.resolve.cache_store import ResolveCache

TRACKS = tuple(
    Track(url=f"https://example.test/v/{n}", title=f"Daft Punk – Song {n}", duration_ms=1000) for n in range(3)
)


async def write_like_the_resolver(redis: Redis, keys: Keys, prefix: str, query: str) -> None:
    key = keys.search_results(prefix, SEARCH_SIZE, query)
    await ResolveCache(redis).put(key, CachedTracks(tracks=TRACKS), 60)


async def test_reads_what_the_resolver_caches(redis: Redis, keys: Keys) -> None:
    await write_like_the_resolver(redis, keys, "youtube", "Daft  Punk")
    cache = ResolverSearchCache(redis, keys, providers=("youtube",))
    assert await cache.tracks("daft punk") == TRACKS
    assert await cache.tracks("DAFT PUNK ") == TRACKS
    assert await cache.tracks("daft") == ()
    assert await ResolverSearchCache(redis, keys, providers=("localsearch",)).tracks("daft punk") == ()


async def test_autocomplete_offers_cached_results_first(suggestions: Suggestions, redis: Redis, keys: Keys) -> None:
    await write_like_the_resolver(redis, keys, "youtube", "daft punk")
    choices = await suggestions.entries(GUILD, 7, "daft punk")
    assert [choice.label for choice in choices] == ["daft punk", *(track.title for track in TRACKS)]
    assert [choice.value for choice in choices][1:] == [track.url for track in TRACKS]


async def test_autocomplete_reads_the_providers_in_the_operators_order(redis: Redis, keys: Keys) -> None:
    """The chain caches each provider's results under its own name: the first provider with any is offered."""
    await write_like_the_resolver(redis, keys, "soundcloud", "daft punk")
    cache = ResolverSearchCache(redis, keys, providers=("youtube", "soundcloud"))
    assert await cache.tracks("daft punk") == TRACKS
    assert await ResolverSearchCache(redis, keys, providers=("youtube",)).tracks("daft punk") == ()
