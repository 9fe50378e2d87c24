"""The resolver's own values: what the player gets just before play, and what the shared cache holds."""

from __future__ import annotations

from pydantic import Field

from shared.failures import Problem, Stop
from shared.models import MAX_DURATION_MS, MAX_URL_LENGTH, QueueItem, Track, WireModel


class StreamInfo(WireModel):
    """A playable stream URL for FFmpeg. It expires: ask `ResolveService.stream_for` again after `expires_at`."""

    url: str = Field(min_length=1, max_length=8192)
    is_opus: bool | None
    """True: Opus in WebM/Opus (passthrough possible when no filter is active); None: unknown (an Ogg direct link
    reports no codec; probe it); False: anything else."""
    http_headers: dict[str, str] = Field(default_factory=dict)
    """Headers FFmpeg must send (`-headers`), e.g. the User-Agent yt-dlp used."""
    duration_ms: int | None = Field(default=None, ge=0, le=MAX_DURATION_MS)
    expires_at: float
    """Unix time after which the URL should be resolved again."""
    ext: str | None = Field(default=None, max_length=16)


class StreamResult(WireModel):
    """What `stream_for` returns: a stream for the item (possibly a substitute found by search), or why not."""

    item: QueueItem
    """The item to announce as playing: the original, or its substitute with `substituted_for` set."""
    stream: StreamInfo | None = None
    problem: Problem | None = None
    """Why nothing can be played, when `stream` is None."""
    substituted: bool = False
    reason: str | None = Field(default=None, max_length=200)
    """Why the original could not be played, when `substituted` (e.g. "HTTP 404")."""


class CachedStream(WireModel):
    """Cache entry `cache("stream", sha256(url))`: the stream, or the substitute track a fallback chose."""

    stream: StreamInfo | None = None
    substitute: Track | None = None
    substitute_stream: StreamInfo | None = None
    reason: str | None = Field(default=None, max_length=200)


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
