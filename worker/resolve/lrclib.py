"""LRCLIB's public API (https://lrclib.net/docs), through the resolver's guarded HTTP stack.

Two endpoints: `GET /api/get?track_name=&artist_name=&duration=` (one record, LRCLIB's own match within ±2 s, 404
`TrackNotFound` otherwise) and `GET /api/search?q=` or `?track_name=&artist_name=` (a list, possibly empty). A
record is `{id, trackName, artistName, albumName, duration (s), instrumental, plainLyrics, syncedLyrics}`.

Every request names encore in its User-Agent (LRCLIB asks clients to). A 5xx or a network error is tried once more
after RETRY_DELAY_S; a 429 is never retried: its `Retry-After` (seconds) is passed on, and this worker sends
LRCLIB nothing more until it has passed. Anything unreadable is a failure, never a crash.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlencode

from yt_dlp.utils import YoutubeDLError

from shared import codec
from shared.lyrics import MAX_LYRICS_TEXT, Lyrics, LyricsProblem
from shared.models import MAX_DURATION_MS, MAX_TITLE_LENGTH
from worker.resolve import lrc
from worker.resolve.failures import refusal
from worker.resolve.lyrics_match import Candidate
from worker.resolve.ytdlp import HttpAnswer, YtDlp

_log: Final = logging.getLogger(__name__)

USER_AGENT: Final = "encore/0.1 (open-source Discord music bot; lyrics for /lyrics)"
RETRY_DELAY_S: Final = 0.5
MAX_RETRY_AFTER_S: Final = 3600
MAX_ANSWER_BYTES: Final = 2 * 1024 * 1024
MAX_RECORDS: Final = 20


class LrclibError(Exception):
    """LRCLIB gave no usable answer: `problem` says which kind (and `retry_after_s` for a rate limit)."""

    def __init__(self, problem: LyricsProblem, retry_after_s: int | None = None) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.retry_after_s = retry_after_s


@dataclass(frozen=True, slots=True)
class Record(Candidate):
    """One LRCLIB record, read defensively."""

    lyrics: Lyrics
    instrumental: bool


def _text(value: object, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) else None


def record(raw: object) -> Record | None:
    """A record of LRCLIB's JSON, or None when it is not one (wrong types, no title)."""
    if not isinstance(raw, dict):
        return None
    lrclib_id, title = raw.get("id"), _text(raw.get("trackName"), MAX_TITLE_LENGTH)
    if not isinstance(lrclib_id, int) or isinstance(lrclib_id, bool) or lrclib_id < 0 or not title:
        return None
    seconds = raw.get("duration")
    duration_ms = round(seconds * 1000) if isinstance(seconds, int | float) and not isinstance(seconds, bool) else None
    if duration_ms is not None and not 0 <= duration_ms <= MAX_DURATION_MS:
        duration_ms = None
    synced = lrc.parse(_text(raw.get("syncedLyrics"), MAX_ANSWER_BYTES) or "")
    plain = lrc.clean_plain(_text(raw.get("plainLyrics"), MAX_LYRICS_TEXT) or "") or lrc.plain_text(synced)
    artist = _text(raw.get("artistName"), MAX_TITLE_LENGTH) or ""
    lyrics = Lyrics(
        lrclib_id=lrclib_id,
        title=title,
        artist=artist,
        album=_text(raw.get("albumName"), MAX_TITLE_LENGTH) or None,
        duration_ms=duration_ms,
        plain=plain[:MAX_LYRICS_TEXT],
        synced=synced,
    )
    instrumental = raw.get("instrumental") is True or not (plain or synced)
    return Record(title=title, artist=artist, duration_ms=duration_ms, lyrics=lyrics, instrumental=instrumental)


def _retry_after(answer: HttpAnswer) -> int | None:
    value = (answer.retry_after or "").strip()
    return min(MAX_RETRY_AFTER_S, int(value)) if value.isascii() and value.isdigit() else None


class Lrclib:
    """The two lookups, with the retry and rate-limit policy above; `clock` is monotonic seconds."""

    def __init__(self, ytdlp: YtDlp, base_url: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._ytdlp = ytdlp
        self._base = base_url.rstrip("/")
        self._clock = clock
        self._quiet_until = 0.0
        self.requests = 0

    async def get(self, title: str, artist: str, duration_s: int | None) -> Record | None:
        """LRCLIB's exact match, or None (404)."""
        params = {"track_name": title, "artist_name": artist}
        if duration_s is not None:
            params["duration"] = str(duration_s)
        answer = await self._request("/api/get", params)
        if answer.status == 404:
            return None
        return record(self._json(answer))

    async def search(self, params: Mapping[str, str]) -> list[Record]:
        """`/api/search` with `q`, or `track_name` and `artist_name`."""
        found = self._json(await self._request("/api/search", params))
        if not isinstance(found, list):
            raise LrclibError(LyricsProblem.UNAVAILABLE)
        return [r for raw in found[:MAX_RECORDS] if (r := record(raw)) is not None]

    def _json(self, answer: HttpAnswer) -> object:
        if answer.status != 200:
            _log.warning("LRCLIB answered %d", answer.status)
            raise LrclibError(LyricsProblem.UNAVAILABLE)
        try:
            return codec.loads(answer.text)
        except ValueError:
            _log.warning("LRCLIB answered something that is not JSON")
            raise LrclibError(LyricsProblem.UNAVAILABLE) from None

    async def _request(self, path: str, params: Mapping[str, str]) -> HttpAnswer:
        wait_s = self._quiet_until - self._clock()
        if wait_s > 0:
            raise LrclibError(LyricsProblem.RATE_LIMITED, max(1, round(wait_s)))
        url = f"{self._base}{path}?{urlencode(params)}"
        answer = await self._send(url)
        if answer is None or answer.status >= 500:
            await asyncio.sleep(RETRY_DELAY_S)
            answer = await self._send(url)
        if answer is None or answer.status >= 500:
            raise LrclibError(LyricsProblem.UNAVAILABLE)
        if answer.status == 429:
            retry_after = _retry_after(answer)
            self._quiet_until = self._clock() + (retry_after if retry_after is not None else 1)
            _log.warning("LRCLIB rate-limits this worker (Retry-After %s)", answer.retry_after)
            raise LrclibError(LyricsProblem.RATE_LIMITED, retry_after)
        return answer

    async def _send(self, url: str) -> HttpAnswer | None:
        """The answer, or None when LRCLIB could not be reached; a refused URL raises REFUSED."""
        self.requests += 1
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        try:
            return await self._ytdlp.get(url, headers, MAX_ANSWER_BYTES)
        except (YoutubeDLError, OSError, TimeoutError) as err:
            if refusal(err) is not None:
                _log.error("the URL guard refuses LRCLIB's URL %s: %s", self._base, refusal(err))
                raise LrclibError(LyricsProblem.REFUSED) from err
            _log.warning("LRCLIB could not be reached: %s", err)
            return None
