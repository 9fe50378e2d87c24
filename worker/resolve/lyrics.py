"""`/lyrics`: the lyrics of the playing track or of a query, from LRCLIB, cached in Redis.

For a track, each reading of it (worker/resolve/lyrics_match.py) is tried in turn: LRCLIB's exact `/api/get`
first when the length is known, then `/api/search` by title and artist; the record taken must match title,
artist and duration by encore's own rules, whatever LRCLIB answered. For a query, `/api/search?q=` and the first
record that the query names. A record with neither plain nor synced words (or flagged so) is instrumental.

Finds (and "instrumental") are cached for `lyrics_cache_ttl_s`, misses for `lyrics_miss_ttl_s`, under the
normalised lookup (`Keys.lyrics`); failures are not cached, so the next `/lyrics` asks LRCLIB again.
"""

from __future__ import annotations

import logging
from typing import Final

from shared.keys import Keys
from shared.lyrics import LyricsRequest, LyricsResult, LyricsStatus
from shared.settings import WorkerSettings
from worker.resolve.cache_store import ResolveCache
from worker.resolve.lrclib import Lrclib, LrclibError, Record
from worker.resolve.lyrics_match import Wanted, artist_query, best, best_for_query, readings, title_query

_log: Final = logging.getLogger(__name__)
_NOT_FOUND: Final = LyricsResult(status=LyricsStatus.NOT_FOUND)


def _found(found: Record | None) -> LyricsResult:
    if found is None:
        return _NOT_FOUND
    status = LyricsStatus.INSTRUMENTAL if found.instrumental else LyricsStatus.FOUND
    return LyricsResult(status=status, lyrics=found.lyrics)


class LyricsFinder:
    def __init__(self, lrclib: Lrclib, cache: ResolveCache, keys: Keys, config: WorkerSettings) -> None:
        self._lrclib = lrclib
        self._cache = cache
        self._keys = keys
        self._config = config

    async def find(self, request: LyricsRequest) -> LyricsResult:
        lookup = self._lookup(request)
        if lookup is None:
            return _NOT_FOUND
        key = self._keys.lyrics(lookup)
        cached = await self._cache.get(key, LyricsResult)
        if cached is not None and cached.status is not LyricsStatus.FAILED:
            return cached
        try:
            result = _found(await self._look_up(request))
        except LrclibError as err:
            return LyricsResult(status=LyricsStatus.FAILED, problem=err.problem, retry_after_s=err.retry_after_s)
        config = self._config
        missed = result.status is LyricsStatus.NOT_FOUND
        await self._cache.put(key, result, config.lyrics_miss_ttl_s if missed else config.lyrics_cache_ttl_s)
        return result

    def _lookup(self, request: LyricsRequest) -> str | None:
        """What the cache files the request under; None when there is nothing to look for."""
        if request.query is not None:
            words = " ".join(request.query.casefold().split())
            return f"q|{words}" if words else None
        assert request.title is not None
        found = readings(request.title, request.artist, request.duration_ms)
        return "t|" + "||".join(wanted.key for wanted in found) if found else None

    async def _look_up(self, request: LyricsRequest) -> Record | None:
        if request.query is not None:
            return best_for_query(request.query, await self._lrclib.search({"q": request.query}))
        assert request.title is not None
        for wanted in readings(request.title, request.artist, request.duration_ms):
            found = await self._reading(wanted)
            if found is not None:
                return found
        return None

    async def _reading(self, wanted: Wanted) -> Record | None:
        title, artist = title_query(wanted.title), artist_query(wanted.artist)
        if wanted.duration_s is not None:
            exact = await self._lrclib.get(title, artist, wanted.duration_s)
            if exact is not None and best(wanted, [exact]) is not None:
                return exact
        return best(wanted, await self._lrclib.search({"track_name": title, "artist_name": artist}))
