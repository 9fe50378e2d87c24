"""The fake's test tone (tests/localdiscord/clients/tone.py) played through the worker's voice connection: a test
pacer that sends its frames, and the tone as a FrameSource for the worker's own pacer."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from shared.errors import PlaybackError
from worker.audio.frames import FRAME_MS, FRAME_S
from worker.voice.connection import VoiceConnection


class TestPacer:
    """Stands in for the worker's audio pacer: ``send_opus`` every 20 ms on the ``start + k * 20 ms`` grid."""

    __test__ = False

    def __init__(self, connection: VoiceConnection, frames: list[bytes]) -> None:
        self._connection = connection
        self._frames = frames
        self._task: asyncio.Task[None] | None = None
        self.sent = 0

    def start(self) -> None:
        self._connection.set_speaking(True)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="test-pacer")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._connection.set_speaking(False)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        while True:
            self._connection.send_opus(self._frames[self.sent % len(self._frames)])
            self.sent += 1
            await asyncio.sleep(max(0.0, start + self.sent * FRAME_S - loop.time()))


@dataclass
class ToneSource:
    """A finished track in memory, as the worker's FrameSource protocol describes it."""

    frames: list[bytes]
    track_id: str = "tone"
    rate_factor: float = 1.0
    error: PlaybackError | None = None
    read: int = 0

    @property
    def position_ms(self) -> int:
        return self.read * FRAME_MS

    @property
    def exhausted(self) -> bool:
        return self.read >= len(self.frames)

    def read_frame(self) -> bytes | None:
        if self.exhausted:
            return None
        self.read += 1
        return self.frames[self.read - 1]

    def skip_frames(self, count: int) -> None:
        self.read += count

    async def aclose(self) -> None:
        return None
