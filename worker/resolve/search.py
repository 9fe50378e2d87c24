"""Search through yt-dlp's search extractors (`search_prefix`), cached in Redis, and the fallback's use of it."""

from __future__ import annotations

import logging
from typing import Final

from yt_dlp.utils import YoutubeDLError

from shared.jobs import MAX_QUERY_LENGTH, SEARCH_SIZE
from shared.models import CachedTracks, Track
from worker.resolve.failures import classify
from worker.resolve.fallback import Hint, Match, best_match
from worker.resolve.parts import ResolverParts
from worker.resolve.tracks import usable_tracks

_log: Final = logging.getLogger(__name__)

MAX_FALLBACK_SEARCHES: Final = 2


class Searcher:
    def __init__(self, parts: ResolverParts) -> None:
        self._d = parts

    async def substitute(self, candidates: list[Hint]) -> Match | None:
        """The first confident match for the recovered queries, trying at most two of them."""
        for hint in candidates[:MAX_FALLBACK_SEARCHES]:
            tracks = await self.tracks(hint.query, SEARCH_SIZE)
            match = best_match(hint, tracks or [])
            _log.info("fallback search %r (%s): %s", hint.query, hint.source, match.score if match else "no match")
            if match is not None:
                return match
        return None

    async def tracks(self, query: str, limit: int) -> list[Track] | None:
        """Search results (cached); None when the search itself failed."""
        query = " ".join(query.split())[:MAX_QUERY_LENGTH]
        prefix = self._d.search_prefix
        key = self._d.keys.search_results(prefix, limit, query)
        cached = await self._d.cache.get(key, CachedTracks)
        if cached is not None:
            return list(cached.tracks)
        try:
            entries = await self._d.ytdlp.search(prefix, query, limit)
        except (YoutubeDLError, TimeoutError) as err:
            problem, detail = classify(err)
            self._d.metrics.resolve_failed(problem.kind.value)
            _log.warning("search %r failed: %s", query, detail)
            return None
        tracks = usable_tracks(entries, self._d.guard)[:limit]
        await self._d.cache.put(key, CachedTracks(tracks=tuple(tracks)), self._d.config.search_cache_ttl_s)
        return tracks
