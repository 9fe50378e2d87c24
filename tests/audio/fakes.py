"""Hand-written fakes for the pacer's two seams: a scripted frame source and a recording sink."""

from __future__ import annotations

import time

from shared.errors import PlaybackError


class FakeSource:
    """Frames `b"<track>:<n>"`; `available` of them are buffered now, `total` exist (None: endless)."""

    def __init__(
        self, track_id: str, total: int | None, *, available: int | None = None, rate_factor: float = 1.0
    ) -> None:
        self.track_id = track_id
        self.rate_factor = rate_factor
        self.start_ms = 0
        self.total = total
        self.available = available if available is not None else (total if total is not None else 10**9)
        self.read = 0
        self.skipped = 0
        self.closed = False
        self.fail_with: PlaybackError | None = None

    def _readable(self) -> int:
        return self.available if self.total is None else min(self.available, self.total)

    def read_frame(self) -> bytes | None:
        if self.read >= self._readable():
            return None
        self.read += 1
        return f"{self.track_id}:{self.read - 1}".encode()

    @property
    def exhausted(self) -> bool:
        no_more = self.fail_with is not None or (self.total is not None and self.read >= self.total)
        return self.read >= self._readable() and no_more

    @property
    def error(self) -> PlaybackError | None:
        return self.fail_with

    @property
    def position_ms(self) -> int:
        return self.start_ms + round((self.read + self.skipped) * 20 * self.rate_factor)

    def skip_frames(self, count: int) -> None:
        self.skipped += count

    async def aclose(self) -> None:
        self.closed = True


class RecordingSink:
    """Records every call; `fail` makes `send_opus` raise."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bytes | bool]] = []
        self.times: list[float] = []
        self.fail = False

    def send_opus(self, packet: bytes) -> None:
        if self.fail:
            raise OSError("socket closed")
        self.calls.append(("opus", packet))
        self.times.append(time.monotonic())

    def set_speaking(self, on: bool) -> None:
        self.calls.append(("speaking", on))

    @property
    def packets(self) -> list[bytes]:
        return [p for kind, p in self.calls if kind == "opus" and isinstance(p, bytes)]
