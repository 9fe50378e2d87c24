"""Autoplay's related tracks: the radio mix of a YouTube video, else a search for the last tracks' artists.

`RelatedSource` is the seam: one source per way of finding tracks like the seeds (the newest first). `MixSource`
asks yt-dlp for the mix playlist of the newest seed when it came from an extractor that has mixes (YouTube's
`watch?v=<id>&list=RD<id>`, extracted by yt-dlp's youtube:tab); `ArtistSearch` searches the seeds' artists with the
configured search (`Searcher`, `ytsearch` by default). `RelatedFinder` tries the mix first, then the search, and
drops every track the caller excludes (what played lately, what is queued): a radio never repeats itself.
"""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Collection, Sequence
from typing import Final, Protocol

from yt_dlp.utils import YoutubeDLError

from shared.models import Track
from worker.resolve.failures import classify
from worker.resolve.parts import ResolverParts
from worker.resolve.search import Searcher
from worker.resolve.tracks import usable_tracks

_log: Final = logging.getLogger(__name__)

MIX_WINDOW: Final = 25
"""Entries read from a mix (YouTube's are 25–50 long)."""
MAX_ARTISTS: Final = 3
"""Artists searched at most, newest first."""
MAX_SEARCH: Final = 30
"""Results asked of one artist search."""


def track_keys(track: Track) -> frozenset[str]:
    """What identifies a track for "already played": its URL, and its extractor's id when it has one."""
    keys = {track.url}
    if track.source_id:
        keys.add(f"{(track.extractor or '').lower()}:{track.source_id}")
    return frozenset(keys)


def fresh(candidates: Sequence[Track], exclude: Collection[Track], limit: int) -> list[Track]:
    """The first `limit` candidates that are none of `exclude` nor each other."""
    seen: set[str] = set()
    for track in exclude:
        seen |= track_keys(track)
    picked: list[Track] = []
    for track in candidates:
        keys = track_keys(track)
        if keys & seen:
            continue
        seen |= keys
        picked.append(track)
        if len(picked) == limit:
            break
    return picked


class RelatedSource(Protocol):
    async def candidates(self, seeds: Sequence[Track], limit: int) -> list[Track] | None:
        """Tracks like `seeds` (newest first), best first, maybe including the seeds; None: not applicable or failed."""
        ...


class MixSource:
    """The radio mix of the newest seed, for tracks of the extractors in `WorkerSettings.mix_extractors`."""

    def __init__(self, parts: ResolverParts) -> None:
        self._d = parts
        self._extractors = frozenset(name.lower() for name in parts.config.mix_extractors)

    def mix_url(self, seed: Track) -> str | None:
        if not seed.source_id or (seed.extractor or "").lower() not in self._extractors:
            return None
        return self._d.config.mix_url.replace("{id}", urllib.parse.quote(seed.source_id, safe=""))

    async def candidates(self, seeds: Sequence[Track], limit: int) -> list[Track] | None:
        url = self.mix_url(seeds[0]) if seeds else None
        if url is None or not self._d.guard.check_static(url).allowed:
            return None
        try:
            entries = await self._d.ytdlp.slice(url, 0, max(MIX_WINDOW, limit))
        except (YoutubeDLError, TimeoutError) as err:
            _log.info("the mix %s did not resolve: %s", url, classify(err)[1])
            return None
        return usable_tracks(entries, self._d.guard)


class ArtistSearch:
    """A search for each of the seeds' artists in turn (newest first), results interleaved in that order."""

    def __init__(self, searcher: Searcher) -> None:
        self._searcher = searcher

    async def candidates(self, seeds: Sequence[Track], limit: int) -> list[Track] | None:
        artists = list(dict.fromkeys(seed.artist for seed in seeds if seed.artist))[:MAX_ARTISTS]
        if not artists:
            return None
        found: list[Track] = []
        for artist in artists:
            found += await self._searcher.tracks(artist, min(limit, MAX_SEARCH)) or []
        return found


class RelatedFinder:
    """Up to `limit` new tracks like the seeds: from the first source that has any, none of `exclude`."""

    def __init__(self, sources: Sequence[RelatedSource]) -> None:
        self._sources = sources

    async def related(self, seeds: Sequence[Track], exclude: Collection[Track], limit: int) -> list[Track]:
        # A mix repeats what played (it starts with its seed): ask for enough to be left with `limit`.
        wanted = limit + len(exclude)
        for source in self._sources:
            picked = fresh(await source.candidates(seeds, wanted) or [], exclude, limit)
            if picked:
                return picked
        return []
