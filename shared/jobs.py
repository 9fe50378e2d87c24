"""arq job names and their request/result models (the only arguments jobs take)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from pydantic import Field

from shared.models import InsertPosition, QueueItem, Snowflake, Track, WireModel

MAX_QUERY_LENGTH: Final = 500
SEARCH_SIZE: Final = 5
"""Results fetched per search: `/play text`, `/search` and `/play` autocomplete share them through the cache."""


class JobName(StrEnum):
    RESOLVE = "resolve"
    INGEST_CHUNK = "ingest_chunk"
    SEARCH = "search"


class ResolveStatus(StrEnum):
    QUEUED = "queued"
    NOTHING_FOUND = "nothing_found"
    QUEUE_FULL = "queue_full"
    REFUSED = "refused"
    """The input is not allowed (scheme, private address, too long)."""
    FAILED = "failed"
    """A network or source error; nothing was queued."""


class ResolveRequest(WireModel):
    """`/play query`: resolve a URL, search text or playlist and queue the result."""

    guild_id: Snowflake
    request_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    query: str = Field(min_length=1, max_length=MAX_QUERY_LENGTH)
    requester_id: Snowflake
    position: InsertPosition = InsertPosition.END
    text_channel_id: Snowflake | None = None


class ResolveResult(WireModel):
    status: ResolveStatus
    message: str = Field(max_length=500)
    """Text that is safe to show the user."""
    first: QueueItem | None = None
    queued: int = Field(default=0, ge=0)
    total: int | None = Field(default=None, ge=0)
    playlist_title: str | None = Field(default=None, max_length=256)
    pending: bool = False
    """More playlist entries are being added in the background."""
    substituted_for: str | None = None


class IngestChunkRequest(WireModel):
    """Append chunk `chunk_index` of playlist request `request_id` to the queue (idempotent)."""

    guild_id: Snowflake
    request_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    chunk_index: int = Field(ge=0)


class SearchRequest(WireModel):
    """`/search query`: up to `limit` results for the member to pick from."""

    query: str = Field(min_length=1, max_length=MAX_QUERY_LENGTH)
    limit: int = Field(default=5, ge=1, le=10)


class SearchResult(WireModel):
    status: ResolveStatus
    message: str = Field(max_length=500)
    tracks: tuple[Track, ...] = ()
