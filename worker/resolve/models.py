"""The resolver's own values: what the player gets just before play, and what the shared cache holds."""

from __future__ import annotations

from pydantic import Field

from shared.events import SubstitutionReason
from shared.failures import Problem, Stop
from shared.models import MAX_URL_LENGTH, QueueItem, Track, WireModel
from worker.audio.stream import PlayableStream


class StreamResult(WireModel):
    """What `stream_for` gives the player: a stream for the item (possibly a substitute found by search), or why not.

    This is the player's `StreamSource` answer as it is: the player commits a substitute and announces it."""

    item: QueueItem
    """The item to play: the original, or its substitute with `substituted_for` set."""
    stream: PlayableStream | None = None
    problem: Problem | None = None
    """Why nothing can be played, when `stream` is None."""
    substitution: SubstitutionReason | None = None
    """Why the original could not be played, when `item` is a substitute."""
    detail: str = Field(default="", max_length=200)
    """What the original's site answered (e.g. "HTTP 404"), when `item` is a substitute."""


class CachedStream(WireModel):
    """Cache entry `cache("stream", sha256(url))`: the stream, or the substitute track a fallback chose."""

    stream: PlayableStream | None = None
    substitute: Track | None = None
    substitute_stream: PlayableStream | None = None
    reason: SubstitutionReason | None = None
    detail: str = Field(default="", max_length=200)


class ChunkOutcome(WireModel):
    """Result of one `ingest_chunk` job."""

    request_id: str
    chunk_index: int = Field(ge=0)
    appended: int = Field(default=0, ge=0)
    duplicate: bool = False
    done: bool = False
    stopped: Stop | None = None
    retry_after_s: float | None = None
    """Run this chunk job again after this many seconds (its entries could not be fetched, or it came early)."""


class RequestMeta(WireModel):
    """What chunk jobs need to know about a playlist request (stored beside the queue script's fields)."""

    url: str = Field(max_length=MAX_URL_LENGTH)
    source: str = Field(pattern=r"^(staged|lazy)$")
    """staged: entries wait in Redis (`keys.staged`); lazy: each chunk job fetches its range with yt-dlp."""
    requester_id: int
    position: str
    first_size: int = Field(ge=1)
    chunk_size: int = Field(ge=1)
    cap: int = Field(ge=1)
    """`max_playlist_entries` when the request started."""
    total: int | None = Field(default=None, ge=0)
    title: str | None = Field(default=None, max_length=256)
    text_channel_id: int | None = None
    capped_from: int | None = None
    """The playlist's real length when `max_playlist_entries` cut it."""
    cut: Stop | None = None
    """The source lists only part of the playlist (`PlaylistSource.cut`)."""
