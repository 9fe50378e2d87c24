"""The bounded read-ahead of one track: 20 ms Opus packets between the reader that brings them and the pacer.

Both sources (`FFmpegSource` reading FFmpeg's pipe, `InProcessSource` reading HTTP) fill one from a read callback
and the pacer empties it, one frame per tick. Policy:
- Reading pauses when `readahead_frames` are buffered and resumes below `resume_frames` minus a random
  0..`refill_jitter_frames`, so the sources of a mass start do not all refill on the same tick.
- Frames skipped before they arrive are dropped as they come; skipped frames count as played.
- `ready` is set once `ready_frames` are buffered; the source also sets it when it ends, fails or closes.
- The reader adds on the event loop; the pacer reads on the frame clock's thread. A lock keeps the two apart, and
  the reader's `resume` (a transport call) is made on the loop: at once there, else after the tick (the handoff).
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections import deque
from collections.abc import Callable, Sequence

from worker.audio.ffmpeg_args import PipelineOptions
from worker.audio.handoff import LoopHandoff


class FrameBuffer:
    """A source's frames, with the pause/resume of its reader (the callbacks) kept to the read-ahead bound."""

    def __init__(self, options: PipelineOptions, *, pause: Callable[[], None], resume: Callable[[], None]) -> None:
        self._options = options
        self._pause = pause
        self._resume = resume
        self._frames: deque[bytes] = deque()
        self._skip = 0
        self._resume_at = options.resume_frames - random.randint(0, options.refill_jitter_frames)  # noqa: S311 - load spreading, not security
        self.played = 0
        """Frames handed to the pacer or skipped."""
        self.received = 0
        """Frames that arrived from the reader (skipped ones included)."""
        self.paused = False
        self.ready = asyncio.Event()
        self._lock = threading.Lock()
        self._handoff = LoopHandoff.of_running_loop()

    def __len__(self) -> int:
        return len(self._frames)

    def read(self) -> bytes | None:
        """The next frame, or None if none is buffered; resumes the reader once the buffer has drained enough."""
        with self._lock:
            frames = self._frames
            if not frames:
                return None
            self.played += 1
            resume = self.paused and len(frames) <= self._resume_at
            if resume:
                self.paused = False
            frame = frames.popleft()
        if resume:
            self._handoff.call(self._resume_unless_paused)
        return frame

    def _resume_unless_paused(self) -> None:
        # Frames that were on their way when the clock thread asked may have filled the buffer again meanwhile.
        if not self.paused:
            self._resume()

    def peek(self) -> bytes | None:
        return self._frames[0] if self._frames else None

    def skip(self, count: int) -> None:
        """Drop the next `count` frames: buffered ones now, the rest as they arrive."""
        with self._lock:
            self.played += count
            while count and self._frames:
                self._frames.popleft()
                count -= 1
            self._skip += count

    def add(self, frames: Sequence[bytes]) -> None:
        """Frames the reader brought, in order; pauses the reader at the read-ahead bound."""
        with self._lock:
            self.received += len(frames)
            if self._skip:
                dropped = min(self._skip, len(frames))
                self._skip -= dropped
                frames = frames[dropped:]
            self._frames.extend(frames)
            buffered = len(self._frames)
            pause = buffered >= self._options.readahead_frames and not self.paused
            if pause:
                self.paused = True
        if buffered >= self._options.ready_frames:
            self.ready.set()
        if pause:
            self._pause()

    def clear(self) -> None:
        with self._lock:
            self._frames.clear()

    async def wait_ready(self, timeout_s: float) -> bool:
        """Wait for `ready`; False if it did not come within `timeout_s`."""
        try:
            async with asyncio.timeout(timeout_s):
                await self.ready.wait()
        except TimeoutError:
            return False
        return True
