"""Speaking (voice op 5) for one voice connection, and the five silence frames sent when speaking stops."""

from __future__ import annotations

import asyncio

from worker.audio.frames import FRAME_S, SILENCE_FRAME, SILENCE_FRAMES
from worker.audio.handoff import LoopHandoff
from worker.voice.connection import VoiceClosedError, VoiceStats, VoiceTimings
from worker.voice.transport import VoiceTransport


class Speaker:
    """Keeps the server's speaking state equal to the wanted one, through one owned task at a time."""

    def __init__(
        self, transport: VoiceTransport, timings: VoiceTimings, stats: VoiceStats, *, loop: asyncio.AbstractEventLoop
    ) -> None:
        self._transport = transport
        self._timings = timings
        self._stats = stats
        self._loop = loop
        self._handoff = LoopHandoff.of_running_loop()
        self.wanted = False
        self.trailing_silence = 0
        """Silence frames the caller itself sent last (a pacer that sends its own): only the rest are added."""
        self._sent = False
        self._task: asyncio.Task[None] | None = None

    def set(self, on: bool) -> None:
        """Want speaking on or off; callable from the frame clock's thread (the op is then sent from the loop)."""
        self.wanted = on
        self._handoff.call(self._sync_soon)

    def _sync_soon(self) -> None:
        # `_sync` moves the server to whatever is wanted when it runs, so a late wake-up cannot undo a newer wish.
        if self._task is None or self._task.done():
            # Eager: the SPEAKING op is usually written before this returns, so it precedes the next frame.
            self._task = asyncio.Task(self._sync(), loop=self._loop, name="voice-speaking", eager_start=True)

    def session_started(self) -> None:
        """A new (or resumed) session: tell the server again if speaking is wanted."""
        self._sent = False
        if self.wanted:
            self.set(True)

    async def close(self) -> None:
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            await asyncio.wait({task})
        self.wanted = self._sent = False

    async def _sync(self) -> None:
        while self._transport.is_open() and self._sent != self.wanted:
            wanted = self.wanted
            if not wanted and not await self._send_silence():
                continue
            try:
                async with asyncio.timeout(self._timings.speak_timeout_s):
                    await self._transport.speak(wanted)
            except (TimeoutError, VoiceClosedError):
                return  # the connection is going down; the next session re-sends the wanted state
            self._sent = wanted

    async def _send_silence(self) -> bool:
        """Up to five silence frames 20 ms apart; False when speaking was wanted again meanwhile."""
        while self.trailing_silence < SILENCE_FRAMES and not self.wanted and self._transport.is_open():
            if self._transport.send_opus(SILENCE_FRAME):
                self._stats.silence_frames += 1
            self.trailing_silence += 1
            await asyncio.sleep(FRAME_S)
        return not self.wanted
