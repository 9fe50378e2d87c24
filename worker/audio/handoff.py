"""The border between the frame clock's thread and the worker's event loop.

The pacer ticks every guild on its own thread (worker/audio/pacer.py) so that nothing the event loop does — a mass
takeover's voice handshakes, FFmpeg starts, Redis calls — can delay a frame. The loop still owns everything else:
tasks, transports, futures, the player. Two rules keep the two sides apart:
- **One lock.** The clock holds `lock` for a whole tick; the loop holds it for every control call on a stream
  (play, pause, skip, splice, attach, detach). A stream therefore changes only between two ticks, as it did when
  both ran on the loop.
- **Calls go back, never across.** What a tick produces for the loop (a track's end, its first frame, a source to
  close, a reader to resume, a SPEAKING op) is given to `call` of the loop's one handoff: made on the loop it runs
  at once; made on the clock thread it is queued, and `hand_over` (after the tick) wakes the loop once for all of
  them, which runs them in the order they were made. The clock's thread thus never writes to the loop's self-pipe
  mid-tick (a system call that lets go of the GIL, worker/voice/rtp.py says what that costs).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from collections import deque
from collections.abc import Callable
from typing import Final

_log: Final = logging.getLogger(__name__)


class LoopHandoff:
    """The lock both sides share and the queue of calls from the clock thread to the loop (see the module)."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """Made on the loop's thread; with no loop (a stream ticked by hand in a test) every call runs at once."""
        self.lock = threading.RLock()
        self._loop = loop
        self._loop_thread = threading.get_ident()
        self._queued: deque[Callable[[], None]] = deque()

    @classmethod
    def of_running_loop(cls) -> LoopHandoff:
        """The running loop's one handoff (made on first use), so every call the clock makes back to this loop waits
        for the same `hand_over`; with no running loop a new one that runs every call at once."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return cls(None)
        handoff = _PER_LOOP.get(loop)
        if handoff is None:
            handoff = _PER_LOOP[loop] = cls(loop)
        return handoff

    def on_loop(self) -> bool:
        return self._loop is None or threading.get_ident() == self._loop_thread

    def call(self, fn: Callable[[], None]) -> None:
        """Run `fn` on the loop: now if this is the loop, else after the current tick."""
        if self.on_loop():
            fn()
        else:
            self._queued.append(fn)

    def hand_over(self) -> None:
        """From the clock thread after a tick: one wake-up of the loop for everything the tick queued."""
        if not self._queued or self._loop is None:
            return
        try:
            self._loop.call_soon_threadsafe(self.run_queued)
        except RuntimeError:  # the loop is closed: the worker is exiting and nobody waits for these calls
            self._queued.clear()

    def run_queued(self) -> None:
        """Run what the clock queued, in order (on the loop; also once more after the clock thread stopped)."""
        while self._queued:
            fn = self._queued.popleft()
            try:
                fn()
            except Exception:  # noqa: BLE001 - one listener's failure must not swallow the calls after it
                _log.exception("a call handed over from the frame clock failed")


_PER_LOOP: Final[weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopHandoff]] = weakref.WeakKeyDictionary()
