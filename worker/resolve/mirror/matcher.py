"""Finding a mirrored track's recording on a playable source, just before it plays.

The matcher asks one search port (`SearchPort`: a query and a size to a list of results, None when search itself
failed), which is the resolver's text search: whatever providers it consults are the matcher's too. It searches
"<main artist> <title>" and, at the same time, the quoted ISRC (music sources answer it with the recording), and
lets `ranking` choose among both answers: a result carrying the ISRC first, else the best score.
Verdicts are cached in Redis (`Keys.mirror_match`): a match for `match_cache_ttl_s`, "nothing close enough" for
`miss_cache_ttl_s`; a failed search is not cached (the next attempt may succeed).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Final

from pydantic import Field

from shared.failures import Problem, ProblemKind
from shared.keys import Keys
from shared.models import Matched, Track, WireModel
from shared.settings import MirrorSettings
from worker.resolve.cache_store import ResolveCache
from worker.resolve.mirror import ranking

_log: Final = logging.getLogger(__name__)

type SearchPort = Callable[[str, int], Awaitable[list[Track] | None]]


class MatchVerdict(WireModel):
    """Cache entry: the match, or the best score of a search that found nothing close enough."""

    matched: Matched | None = None
    best: float | None = Field(default=None, ge=0.0, le=1.0)


def lookup_key(track: Track) -> str:
    """What identifies the recording to find: its ISRC, else its normalised title, artists and length."""
    if track.isrc:
        return f"isrc|{track.isrc}"
    artists = ",".join(" ".join(ranking.words(a)) for a in track.artists or (track.artist or "",))
    seconds = (track.duration_ms or 0) // 1000
    return f"text|{' '.join(ranking.words(track.title))}|{artists}|{seconds}"


def text_query(track: Track) -> str:
    core = ranking.search_title(track.title)
    main = track.artists[0] if track.artists else (track.artist or "")
    return " ".join(f"{main} {core}".split())


class Matcher:
    def __init__(self, search: SearchPort, cache: ResolveCache, keys: Keys, config: MirrorSettings) -> None:
        self._search = search
        self._cache = cache
        self._keys = keys
        self._config = config
        self.last_match_s = 0.0
        """How long the last uncached match took (the bench reads it)."""

    async def match(self, track: Track) -> Matched | Problem:
        """The recording to play for `track`, or NO_MATCH (with the best score) / SEARCH_UNAVAILABLE."""
        key = self._keys.mirror_match(lookup_key(track))
        cached = await self._cache.get(key, MatchVerdict)
        if cached is None:
            started = time.monotonic()
            found = await self._find(track)
            self.last_match_s = time.monotonic() - started
            if isinstance(found, Problem):
                return found
            cached = found
            ttl = self._config.match_cache_ttl_s if found.matched is not None else self._config.miss_cache_ttl_s
            await self._cache.put(key, cached, ttl)
        if cached.matched is None:
            return Problem(kind=ProblemKind.NO_MATCH, service=track.mirror, score=cached.best)
        return cached.matched

    async def _find(self, track: Track) -> MatchVerdict | Problem:
        target = ranking.Target.of(track)
        size = self._config.search_size
        queries = [text_query(track)] + ([f'"{track.isrc}"'] if track.isrc else [])
        found = await asyncio.gather(*(self._search(query, size) for query in queries))
        if all(results is None for results in found):
            return Problem(kind=ProblemKind.SEARCH_UNAVAILABLE)
        candidates = list({c.url: c for results in reversed(found) for c in results or []}.values())
        chosen = ranking.choose(target, candidates, self._config.threshold)
        if chosen is None:
            best = ranking.best_score(target, candidates)
            _log.info("no match for %r by %r (best %s)", track.title, track.artist, best)
            return MatchVerdict(best=best)
        return MatchVerdict(matched=Matched(track=chosen.track, method=chosen.method, score=chosen.score))
