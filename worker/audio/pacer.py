"""The worker's one frame clock: every guild's next 20 ms Opus frame goes to its sink on the same drift-free tick."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Final, Self

from worker.audio.frames import FRAME_S, SILENCE_FRAMES, FrameSink, FrameSource
from worker.audio.guild_stream import GuildStream, PacerCounters
from worker.audio.handoff import LoopHandoff

_log: Final = logging.getLogger(__name__)
_RUN_DELAY_EVERY: Final = 50
"""Ticks between two readings of the clock thread's run delay (once a second)."""


class Pacer:
    """One thread that ticks every 20 ms (`start + 20 ms · n` on the monotonic clock) for all guilds.

    The tick runs on its own thread, not on the event loop: a loop that stalls (a mass takeover's handshakes and
    FFmpeg starts, a slow Redis call) delays no frame, since the sources' read-ahead covers the loop's absence. The
    thread takes the GIL from a busy loop within the interpreter's switch interval (5 ms), far below a frame, and
    keeps it for the whole tick (the voice send never lets go of it: worker/voice/rtp.py). With `priority` > 0 it
    asks the kernel for that SCHED_RR real-time priority, so a machine whose cores are all busy still runs it on
    time (needs RLIMIT_RTPRIO ≥ it or CAP_SYS_NICE; refused, the clock runs as a normal thread and says so once).
    What the two sides share and how calls cross between them: worker/audio/handoff.py.

    A tick that comes late is still sent (a short burst keeps the long-run rate exact); if the clock fell more than
    `max_catchup_frames` behind, the missed ticks are dropped instead of flooding receivers' jitter buffers.
    Use as `async with Pacer() as pacer:`; retired sources are closed in the background and awaited on exit.
    `silence_frames=0` leaves the trailing silence to a sink whose `set_speaking(False)` sends it itself.
    A pacer that is never started is ticked by hand (`stream.tick()`) on the loop, and then everything is inline.
    """

    THREAD_NAME: Final = "audio-clock"

    def __init__(
        self,
        *,
        frame_s: float = FRAME_S,
        max_catchup_frames: int = 5,
        silence_frames: int = SILENCE_FRAMES,
        priority: int = 0,
    ) -> None:
        self.counters = PacerCounters()
        self._priority = priority
        self._run_delay = _RunDelay()
        self._silence_frames = silence_frames
        self._frame_s = frame_s
        self._max_catchup = max_catchup_frames
        self._streams: dict[int, GuildStream] = {}
        self._closing: set[asyncio.Task[None]] = set()
        self._handoff = LoopHandoff.of_running_loop()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name=self.THREAD_NAME, daemon=True)
            self._thread.start()

    async def aclose(self) -> None:
        """Stop ticking, stop every guild, and wait until all sources are closed."""
        if self._thread is not None:
            self._stopping.set()
            await asyncio.to_thread(self._thread.join)
            self._thread = None
        self._handoff.run_queued()
        for guild_id in list(self._streams):
            self.detach(guild_id)
        while self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)

    def attach(self, guild_id: int, sink: FrameSink) -> GuildStream:
        """Register a guild; its stream is ticked from now on."""
        with self._handoff.lock:
            if guild_id in self._streams:
                raise ValueError(f"guild {guild_id} is already attached")
            stream = GuildStream(
                guild_id,
                sink,
                retire=self._retire,
                counters=self.counters,
                silence_frames=self._silence_frames,
                handoff=self._handoff,
            )
            self._streams[guild_id] = stream
            return stream

    def detach(self, guild_id: int) -> None:
        """Stop the guild's playback (sources closed in the background) and forget it; no more frames are sent."""
        with self._handoff.lock:
            stream = self._streams.pop(guild_id, None)
            if stream is not None:
                stream.stop()

    def stream(self, guild_id: int) -> GuildStream | None:
        return self._streams.get(guild_id)

    def _run(self) -> None:
        with contextlib.suppress(OSError):  # the kernel's thread name: `top -H`, /proc/<pid>/task/*/comm
            Path(f"/proc/self/task/{threading.get_native_id()}/comm").write_text(self.THREAD_NAME)
        self._ask_priority()
        clock = time.monotonic
        anchor = clock()
        tick = 0
        while True:
            tick += 1
            due = anchor + tick * self._frame_s
            if self._stopping.wait(max(0.0, due - clock())):
                return
            started = clock()
            lateness = started - due
            self._account(lateness)
            if tick % _RUN_DELAY_EVERY == 0:
                self._run_delay.mark()
            with self._handoff.lock:
                locked = clock()
                self._tick_all()
            ticked = clock()
            self._handoff.hand_over()
            self.counters.busy_s += ticked - started
            behind = ticked - due
            if behind > self._max_catchup * self._frame_s:
                missed = int(behind / self._frame_s)
                tick += missed
                self.counters.skipped_ticks += missed
                _log.warning(
                    "the frame clock fell %.0f ms behind (woke %.0f ms late, waited %.0f ms for the lock, ticked "
                    "%.0f ms; %s): %d ticks dropped",
                    behind * 1000, lateness * 1000, (locked - started) * 1000, (ticked - locked) * 1000,
                    self._run_delay.since_mark(), missed,
                )  # fmt: skip

    def _ask_priority(self) -> None:
        if self._priority <= 0:
            return
        try:
            os.sched_setscheduler(threading.get_native_id(), os.SCHED_RR, os.sched_param(self._priority))
        except (OSError, AttributeError) as exc:  # EPERM without CAP_SYS_NICE; AttributeError: not Linux
            _log.info("the frame clock runs at normal priority (SCHED_RR %d refused: %s)", self._priority, exc)

    def _account(self, lateness: float) -> None:
        counters = self.counters
        counters.ticks += 1
        if lateness > 0:
            counters.total_lateness_s += lateness
            counters.max_lateness_s = max(counters.max_lateness_s, lateness)
            if lateness >= self._frame_s:
                counters.late_ticks += 1

    def _tick_all(self) -> None:
        for stream in tuple(self._streams.values()):
            try:
                stream.tick()
            except Exception as exc:  # noqa: BLE001 - one guild's broken sink must not stop every guild's audio
                _log.exception("frame send failed", extra={"guild_id": stream.guild_id})
                stream.fail(exc)

    def _retire(self, source: FrameSource) -> None:
        """On the loop (the handoff brings it there): close a source that left its stream."""
        task = asyncio.get_running_loop().create_task(self._close_source(source))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _close_source(self, source: FrameSource) -> None:
        try:
            await source.aclose()
        except Exception:  # noqa: BLE001 - a failed close is logged; the pacer must keep running
            _log.exception("closing audio source %s failed", source.track_id)


class _RunDelay:
    """How long the kernel kept the clock thread waiting for a CPU (`run_delay` of /proc/thread-self/schedstat).

    Read once a second on the clock thread and again when a tick came late: a late wake-up the kernel caused shows as
    a run delay close to the lateness; one that did not was the GIL held by C code (in the soak: a full garbage
    collection, see worker/app.py `freeze_start_up_objects`).
    """

    _PATH: Final = Path("/proc/thread-self/schedstat")

    def __init__(self) -> None:
        self._marked_ns: int | None = None
        self._marked_at = 0.0

    def _read_ns(self) -> int | None:
        try:
            return int(self._PATH.read_text().split()[1])
        except (OSError, IndexError, ValueError):
            return None

    def mark(self) -> None:
        self._marked_ns, self._marked_at = self._read_ns(), time.monotonic()

    def since_mark(self) -> str:
        now = self._read_ns()
        if now is None or self._marked_ns is None:
            return "run delay unknown"
        waited_ms = (now - self._marked_ns) / 1e6
        return f"waited {waited_ms:.0f} ms for a CPU in the last {(time.monotonic() - self._marked_at) * 1000:.0f} ms"
