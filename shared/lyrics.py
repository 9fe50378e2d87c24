"""The lyrics job's wire models: what `/lyrics` asks the worker, and the lyrics (or the kind of failure) it gets.

The worker looks lyrics up on LRCLIB (worker/resolve/lyrics.py) and sends them parsed: plain text, and the synced
lines with their times when LRCLIB has them. Failures travel as `LyricsProblem` kinds; the gateway words them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final, Self

from pydantic import Field, model_validator

from shared.models import MAX_DURATION_MS, MAX_TITLE_LENGTH, WireModel

MAX_LYRICS_QUERY: Final = 200
"""Characters of a `/lyrics` query (song titles and artists are short; LRCLIB needs no more)."""
MAX_LYRICS_TEXT: Final = 30_000
"""Characters of a song's plain lyrics kept (the longest songs have about 10,000)."""
MAX_LYRIC_LINE: Final = 500
MAX_SYNCED_LINES: Final = 3000


class LyricsStatus(StrEnum):
    FOUND = "found"
    INSTRUMENTAL = "instrumental"
    """LRCLIB knows the song and says it has no words."""
    NOT_FOUND = "not_found"
    """Nothing that is the same song (a different song is never shown)."""
    FAILED = "failed"
    """`LyricsResult.problem` says why."""


class LyricsProblem(StrEnum):
    UNAVAILABLE = "unavailable"
    """LRCLIB could not be reached, answered with a server error twice or with something unreadable."""
    RATE_LIMITED = "rate_limited"
    """LRCLIB answered 429 (`LyricsResult.retry_after_s` when it said how long to wait)."""
    REFUSED = "refused"
    """The URL guard refused LRCLIB's address (a misconfigured `ENCORE_WORKER__LRCLIB_URL`)."""
    JOB_FAILED = "job_failed"
    """The job raised, returned something that does not validate or kept no result (set by the gateway)."""


class LyricLine(WireModel):
    """One synced line: sung from `at_ms` (an empty `text` is an instrumental gap)."""

    at_ms: int = Field(ge=0, le=MAX_DURATION_MS)
    text: str = Field(max_length=MAX_LYRIC_LINE)


class Lyrics(WireModel):
    """One LRCLIB record."""

    lrclib_id: int = Field(ge=0)
    title: str = Field(min_length=1, max_length=MAX_TITLE_LENGTH)
    artist: str = Field(max_length=MAX_TITLE_LENGTH)
    album: str | None = Field(default=None, max_length=MAX_TITLE_LENGTH)
    duration_ms: int | None = Field(default=None, ge=0, le=MAX_DURATION_MS)
    plain: str = Field(default="", max_length=MAX_LYRICS_TEXT)
    synced: tuple[LyricLine, ...] = Field(default=(), max_length=MAX_SYNCED_LINES)


class LyricsRequest(WireModel):
    """Either a free `query` (`/lyrics query`) or the now-playing track's `title`, `artist` and duration."""

    query: str | None = Field(default=None, min_length=1, max_length=MAX_LYRICS_QUERY)
    title: str | None = Field(default=None, min_length=1, max_length=MAX_TITLE_LENGTH)
    artist: str | None = Field(default=None, max_length=MAX_TITLE_LENGTH)
    duration_ms: int | None = Field(default=None, ge=0, le=MAX_DURATION_MS)

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if (self.query is None) == (self.title is None):
            raise ValueError("a lyrics request has a query or a title, not both")
        return self


class LyricsResult(WireModel):
    status: LyricsStatus
    problem: LyricsProblem | None = None
    retry_after_s: int | None = Field(default=None, ge=0, le=86_400)
    lyrics: Lyrics | None = None
    """For FOUND and INSTRUMENTAL."""
