"""arq job names and their request/result models (the only arguments jobs take)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from pydantic import Field, model_validator

from shared.failures import Problem, Stop, without_prose
from shared.models import InsertPosition, QueueItem, Snowflake, Track, WireModel
from shared.playlists import MAX_SAVED_ENTRIES

MAX_QUERY_LENGTH: Final = 500
SEARCH_SIZE: Final = 5
"""Results fetched per search: `/play text`, `/search` and `/play` autocomplete share them through the cache."""


class JobName(StrEnum):
    RESOLVE = "resolve"
    INGEST_CHUNK = "ingest_chunk"
    SEARCH = "search"
    LYRICS = "lyrics"
    IMPORT_PLAYLIST = "import_playlist"


class ResolveStatus(StrEnum):
    QUEUED = "queued"
    NOTHING_FOUND = "nothing_found"
    QUEUE_FULL = "queue_full"
    REFUSED = "refused"
    """The input is not allowed (scheme, private address, too long)."""
    FAILED = "failed"
    """A network or source error; nothing was queued."""


class SkipKind(StrEnum):
    """Why an entry of a playlist or page of links was left out (the gateway words it)."""

    REFUSED = "refused"
    """Its link points where encore may not go (a private, local or metadata address, another scheme)."""
    NO_LINK = "no_link"
    """It has no link that can be queued (none, or one longer than a URL may be)."""
    TOO_LONG = "too_long"
    """It is longer than 24 hours."""


class Skipped(WireModel):
    """How many entries were left out for one reason."""

    kind: SkipKind
    count: int = Field(ge=1)


class ResolveRequest(WireModel):
    """`/play query`: resolve a URL, search text or playlist and queue the result."""

    guild_id: Snowflake
    request_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    query: str = Field(min_length=1, max_length=MAX_QUERY_LENGTH)
    requester_id: Snowflake
    position: InsertPosition = InsertPosition.END
    text_channel_id: Snowflake | None = None
    saved: tuple[Track, ...] | None = Field(
        default=None, min_length=1, max_length=MAX_SAVED_ENTRIES, exclude_if=lambda value: value is None
    )
    """`/playlist load`: a saved playlist's entries, queued as a playlist named `query` (each entry guarded again:
    what was saved long ago meets today's rules); None resolves `query`. Left out of the JSON when None, so a
    `/play` request reads as before on a worker of the previous release (during a rolling update)."""


class ResolveResult(WireModel):
    """What a resolve job did; the gateway words it."""

    status: ResolveStatus
    problem: Problem | None = None
    """Why nothing was queued (REFUSED, FAILED, NOTHING_FOUND)."""
    stopped: Stop | None = None
    """Why nothing (QUEUE_FULL) or not all of a playlist (QUEUED) was queued."""
    first: QueueItem | None = None
    queued: int = Field(default=0, ge=0)
    total: int | None = Field(default=None, ge=0)
    playlist_title: str | None = Field(default=None, max_length=256)
    pending: bool = False
    """More playlist entries are being added in the background."""
    substituted_for: str | None = None
    skipped: tuple[Skipped, ...] = Field(default=(), max_length=len(SkipKind))
    """Entries of the playlist that could not be played, per kind: all of them for documents and pages, those of
    the first chunk for paged sources (later chunks are not read yet when the result is sent)."""

    @model_validator(mode="before")
    @classmethod
    def _older_release(cls, data: object) -> object:
        """Results of older workers (arq keeps them) carried a `message`: dropped, the gateway words the status."""
        return without_prose(data, "message")


class IngestChunkRequest(WireModel):
    """Append chunk `chunk_index` of playlist request `request_id` to the queue (idempotent)."""

    guild_id: Snowflake
    request_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    chunk_index: int = Field(ge=0)


class SearchRequest(WireModel):
    """`/search query`: up to `limit` results for the member to pick from."""

    query: str = Field(min_length=1, max_length=MAX_QUERY_LENGTH)
    limit: int = Field(default=5, ge=1, le=10)
    guild_id: Snowflake | None = None
    """Whose provider chain to search (`GuildSettings.search_providers`); None: the operator's."""


class SearchStatus(StrEnum):
    FOUND = "found"
    NOTHING_FOUND = "nothing_found"
    FAILED = "failed"
    """`SearchResult.problem` says why."""


class SearchResult(WireModel):
    status: SearchStatus
    problem: Problem | None = None
    tracks: tuple[Track, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _older_release(cls, data: object) -> object:
        """Older workers sent a `message` and reported success as "queued"."""
        data = without_prose(data, "message")
        if isinstance(data, dict) and data.get("status") == "queued":
            return data | {"status": SearchStatus.FOUND.value}
        return data
