"""The narrow interfaces a guild player depends on: stream resolution, audio output, voice, and the lease."""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from shared.models import Equalizer, FilterChain, QueueItem
from worker.voice.connection import VoiceStatus


@dataclass(frozen=True, slots=True)
class PlayableStream:
    """A stream URL for FFmpeg, resolved just before play (such URLs expire)."""

    url: str
    is_opus: bool | None = None
    """True when the source is Opus in Ogg/WebM (passthrough possible); None when unknown (probe)."""
    http_headers: Mapping[str, str] = field(default_factory=dict)
    duration_ms: int | None = None
    ext: str | None = None
    """The container's extension when known ("mp3", "webm"): a container that never holds Opus is not probed."""


@dataclass(frozen=True, slots=True)
class StreamOutcome:
    """What resolving an item for play gave: a stream, possibly for a substitute item, or an error for the user."""

    stream: PlayableStream | None
    item: QueueItem
    """The item to play: the queued one, or a substitute found by smart fallback."""
    substituted_reason: str | None = None
    error: str | None = None


class StreamSource(Protocol):
    async def stream_for(self, guild_id: int, item: QueueItem) -> StreamOutcome: ...

    async def prefetch(self, guild_id: int, item: QueueItem) -> None: ...


class Playback(Protocol):
    """One track playing (or paused) on a guild's audio output."""

    @property
    def position_ms(self) -> int:
        """Position in the source's timeline."""
        ...

    async def wait_done(self) -> str | None:
        """Wait for the end of the stream: None when it ended normally, else an error message."""
        ...

    async def first_frame(self) -> bool:
        """Wait until the track's first frame went out: True, or False when it ended before one did."""
        ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    async def stop(self) -> None: ...


class AudioOutput(Protocol):
    """A guild's audio output: tracks on the worker's pacer, sent to the guild's voice connection.

    A track is identified by a key; starting a key that is playing swaps its pipeline (new filters, equalizer,
    volume) at a frame boundary without a gap, starting another key replaces the playing track.
    """

    async def start(  # noqa: PLR0913 - keyword-only, each one a property of the pipeline
        self,
        stream: PlayableStream,
        *,
        key: str,
        position_ms: int,
        filters: FilterChain,
        equalizer: Equalizer,
        volume: int,
        paused: bool,
        ready: Awaitable[None] | None = None,
    ) -> Playback:
        """Open the pipeline, then wait for `ready` (the voice connection) before its first frame is sent."""
        ...

    async def prepare_next(
        self, stream: PlayableStream, *, key: str, filters: FilterChain, equalizer: Equalizer, volume: int
    ) -> None:
        """Open the following track so it starts on the frame after the current one ends (gapless)."""
        ...

    def promote_next(self, key: str) -> Playback | None:
        """Start the prepared track `key` now; None when it is not the prepared one."""
        ...

    def adopt(self, key: str) -> Playback | None:
        """The playback of `key` if it is playing (it began gaplessly); None otherwise."""
        ...

    def clear_next(self) -> None: ...

    def hold(self, reason: HoldReason, held: bool) -> None:
        """Hold playback (keeping the position) while any reason holds: voice down, lease not renewed in time."""
        ...

    async def close(self) -> None: ...


class HoldReason(StrEnum):
    VOICE = "voice down"
    LEASE = "lease not renewed in time"


class VoicePort(Protocol):
    """The player's view of the guild's voice connection."""

    async def connect(self, channel_id: int) -> None: ...

    async def refresh(self) -> None:
        """New credentials were stored by the gateway: pick them up."""
        ...

    def status(self) -> VoiceStatus: ...

    async def disconnect(self, *, leave: bool) -> None: ...


class LeaseView(Protocol):
    """What the player knows of its lease: whether it may still act (self-fencing)."""

    @property
    def fence(self) -> int: ...

    def valid(self) -> bool:
        """False once the lease may have expired: stop sending audio and writing state at once."""
        ...

    @property
    def lost(self) -> bool:
        """True once a renewal found the lease taken over: the guild is another worker's now."""
        ...

    @property
    def handed_over(self) -> bool:
        """True when the previous owner announced that it released the guild (a graceful stop)."""
        ...
