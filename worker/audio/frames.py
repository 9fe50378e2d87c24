"""The seams of the audio pipeline: what produces 20 ms Opus frames and what consumes them."""

from __future__ import annotations

from typing import Final, Protocol

from shared.errors import PlaybackError

FRAME_MS: Final = 20
"""The one frame duration: FFmpeg encodes 20 ms Opus packets, the pacer ticks every 20 ms, Discord expects them."""
FRAME_S: Final = FRAME_MS / 1000
FRAME_SAMPLES: Final = 960
"""One 20 ms frame at 48 kHz."""
SILENCE_FRAME: Final = b"\xf8\xff\xfe"
"""The Opus silence frame Discord asks for after a transmission stops."""
SILENCE_FRAMES: Final = 5
"""How many silence frames end a transmission (docs/voice-protocol.md §3)."""


class FrameSink(Protocol):
    """Where a guild's frames go: the voice adapter implements this. Both calls must return at once (no I/O waits);
    they run inside the shared pacer tick of every guild of the worker."""

    def send_opus(self, packet: bytes) -> None:
        """Send one 20 ms Opus packet now (RTP header, encryption, UDP send are the adapter's)."""

    def set_speaking(self, on: bool) -> None:
        """Announce the start (True, before the first frame) or end (False, after the silence frames) of audio."""


class FrameSource(Protocol):
    """A track's audio as 20 ms Opus packets, read without waiting. `FFmpegSource` is the real one."""

    @property
    def track_id(self) -> str: ...

    @property
    def rate_factor(self) -> float:
        """Source milliseconds per output millisecond (the filter chain's speed)."""

    @property
    def position_ms(self) -> int:
        """Where in the source the next frame starts."""

    @property
    def exhausted(self) -> bool:
        """No frame is buffered and none will come."""

    @property
    def error(self) -> PlaybackError | None:
        """Why the source stopped early, if it did."""

    def read_frame(self) -> bytes | None:
        """The next packet, or None when nothing is buffered right now."""

    def skip_frames(self, count: int) -> None:
        """Discard the next `count` frames as if played."""

    async def aclose(self) -> None:
        """Release the source (stop its process); idempotent."""
