"""The provider chain: every text search (`/play` text, `/search`, smart fallback, autoplay's artist search,
matching) asks the providers in order and takes the first that answers with results.

The order is the operator's `Settings.search_providers`, or the guild's `GuildSettings.search_providers` (names
the operator does not offer are left out). A provider is passed over when its circuit breaker is open, when it fails
(a block counts towards the breaker, worker/resolve/breaker_store.py) and when it finds nothing. Each provider's
results are cached under its own name, so a guild that searches SoundCloud only never gets YouTube's results from
the cache. SoundCloud Go+ 30-second previews are not results (`is_preview`).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any, Final

from redis.exceptions import RedisError
from yt_dlp.utils import YoutubeDLError

from shared.failures import PROVIDER_BLOCKS, ProviderFailure
from shared.models import CachedTracks, GuildSettings, Track
from worker.resolve.breaker_store import BreakerStore, Gate
from worker.resolve.failures import classify
from worker.resolve.parts import ResolverParts
from worker.resolve.provider_failures import failed_extractor, provider_failure
from worker.resolve.providers import Provider, charged, provider
from worker.resolve.tracks import usable_tracks

_log: Final = logging.getLogger(__name__)

PREVIEW_SECONDS: Final = (29.0, 30.5)
"""SoundCloud's search gives a Go+ track's length as that of its 30-second preview."""


def is_preview(entry: dict[str, Any]) -> bool:
    """A result that plays only a preview: yt-dlp names such formats `..._preview`, and SoundCloud's search gives
    a Go+ track (a subscriber-only full stream) the 30-second length of the preview it plays to everyone else."""
    format_id = entry.get("format_id")
    if isinstance(format_id, str) and "preview" in format_id:
        return True
    names = (entry.get(k) for k in ("ie_key", "extractor_key", "extractor"))
    soundcloud = any(isinstance(n, str) and n.lower().startswith("soundcloud") for n in names)
    duration = entry.get("duration")
    low, high = PREVIEW_SECONDS
    return soundcloud and isinstance(duration, int | float) and low <= duration <= high


class ProviderChain:
    def __init__(self, parts: ResolverParts, breakers: BreakerStore) -> None:
        self._d = parts
        self._breakers = breakers
        self.providers: Final = tuple(provider(name) for name in parts.providers)

    def order(self, settings: GuildSettings | None) -> list[Provider]:
        wanted = settings.search_providers if settings is not None else ()
        chosen = [p for name in wanted for p in self.providers if p.name == name]
        return chosen or list(self.providers)

    async def search(
        self, query: str, limit: int, settings: GuildSettings | None = None, skip: Collection[str] = ()
    ) -> list[Track] | None:
        """The first results any provider finds (`skip`: names passed over); [] when those that answered found
        nothing, None when none answered."""
        answered = False
        for each in self.order(settings):
            if each.name in skip:
                continue
            tracks = await self._search_one(each, query, limit)
            if tracks:
                return tracks
            answered = answered or tracks is not None
        return [] if answered else None

    async def _search_one(self, each: Provider, query: str, limit: int) -> list[Track] | None:
        key = self._d.keys.search_results(each.name, limit, query)
        cached = await self._d.cache.get(key, CachedTracks)
        if cached is not None:
            return list(cached.tracks)
        gate = await self._gate(each)
        if gate is Gate.OPEN:
            _log.info("search provider %s skipped: its breaker is open", each.name)
            return None
        try:
            entries = await self._d.ytdlp.slice(each.target(query, limit), 0, limit)
        except (YoutubeDLError, TimeoutError) as err:
            await self.failed(each, err)
            return None
        await self._closed(each)
        playable = [entry for entry in entries if not is_preview(entry)]
        tracks = [t.model_copy(update={"provider": each.name}) for t in usable_tracks(playable, self._d.guard)]
        await self._d.cache.put(key, CachedTracks(tracks=tuple(tracks[:limit])), self._d.config.search_cache_ttl_s)
        return tracks[:limit]

    async def failed(self, each: Provider, err: BaseException) -> None:
        """Record a failed search of `each`."""
        problem, detail = classify(err)
        kind = provider_failure(err)
        self._d.metrics.resolve_failed(problem.kind.value)
        _log.warning("provider %s failed (%s): %s", each.name, kind.value, detail)
        await self.charge(each, kind)

    async def charge_link(self, err: BaseException) -> None:
        """Count a pasted link's failure against the providers streaming from its site (`Provider.extractors`)."""
        kind = provider_failure(err)
        for each in charged(self.providers, None, failed_extractor(err)):
            await self.charge(each, kind)

    async def charge(self, each: Provider, kind: ProviderFailure) -> bool:
        """Count a failure of `each` (a search, or the stream of a track it found); True for a block."""
        self._d.metrics.provider_failed(each.name, kind.value)
        if kind not in PROVIDER_BLOCKS:
            return False
        try:
            opened = await self._breakers.blocked(each.name)
        except (RedisError, OSError) as exc:
            _log.warning("breaker of %s unavailable: %s", each.name, exc)
            return True
        self._d.metrics.breaker_state(each.name, opened=opened)
        if opened:
            _log.warning("provider %s blocks this worker: its breaker is open", each.name)
        return True

    async def _gate(self, each: Provider) -> Gate:
        try:
            gate = await self._breakers.allow(each.name)
        except (RedisError, OSError) as exc:
            _log.warning("breaker of %s unavailable (%s): asking it", each.name, exc)
            return Gate.CLOSED
        self._d.metrics.breaker_state(each.name, opened=gate is Gate.OPEN)
        return gate

    async def _closed(self, each: Provider) -> None:
        try:
            await self._breakers.succeeded(each.name)
        except (RedisError, OSError) as exc:
            _log.debug("breaker of %s unavailable: %s", each.name, exc)
        self._d.metrics.breaker_state(each.name, opened=False)
