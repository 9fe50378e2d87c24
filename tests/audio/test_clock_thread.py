"""The frame clock runs on its own thread: a stalled event loop delays no frame, and everything a tick reports
reaches the loop, on the loop's thread, in order (worker/audio/pacer.py, worker/audio/handoff.py)."""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import re
import resource
import subprocess
import sys
import threading
import time
from typing import cast, override

import pytest

from tests.audio.fakes import FakeSource, RecordingSink
from worker.audio.ffmpeg_args import PipelineOptions
from worker.audio.frame_buffer import FrameBuffer
from worker.audio.guild_stream import EndReason, StreamEvent, TrackEnded, TrackStarted
from worker.audio.handoff import LoopHandoff
from worker.audio.pacer import Pacer, _RunDelay


async def test_frames_keep_going_out_while_the_event_loop_is_blocked() -> None:
    sink = RecordingSink()
    async with Pacer() as pacer:
        pacer.attach(1, sink).play(FakeSource("a", None))
        await asyncio.sleep(0.2)
        blocked_from = time.monotonic()
        time.sleep(0.4)  # noqa: ASYNC251 - the point: a loop that does not come back for 400 ms
        blocked_until = time.monotonic()
        await asyncio.sleep(0.1)
    during = [t for t in sink.times if blocked_from < t < blocked_until]
    # 20 frames are due in the 400 ms; on the loop's own clock none would have gone out before it came back.
    assert len(during) >= 10, f"{len(during)} frames sent while the loop was blocked"


async def test_what_a_tick_reports_arrives_on_the_loop_thread_in_order() -> None:
    loop_thread = threading.get_ident()
    seen: list[tuple[StreamEvent, bool]] = []
    first_frames: list[tuple[str, bool]] = []
    async with Pacer() as pacer:
        stream = pacer.attach(1, RecordingSink())
        stream.on_event = lambda event: seen.append((event, threading.get_ident() == loop_thread))
        stream.on_first_frame = lambda key: first_frames.append((key, threading.get_ident() == loop_thread))
        a, b = FakeSource("a", 3), FakeSource("b", 2)
        stream.play(a)
        stream.set_next(b)
        await asyncio.sleep(0.3)
    assert [event for event, _ in seen] == [
        TrackStarted("a"),
        TrackEnded("a", EndReason.FINISHED, 60),
        TrackStarted("b"),
        TrackEnded("b", EndReason.FINISHED, 40),
    ]
    assert all(on_loop for _, on_loop in seen)
    assert first_frames == [("a", True), ("b", True)]
    assert a.closed and b.closed, "retired sources are closed on the loop"


async def test_control_calls_act_between_two_ticks() -> None:
    """Many play/pause/skip calls from the loop while the clock ticks: every track that started ends exactly once."""
    seen: list[StreamEvent] = []
    async with Pacer(frame_s=0.002) as pacer:
        stream = pacer.attach(1, RecordingSink())
        stream.on_event = seen.append
        for n in range(300):
            stream.play(FakeSource(f"t{n}", 2 + n % 3))
            if n % 7 == 0:
                stream.pause()
                await asyncio.sleep(0)
                stream.resume()
            await asyncio.sleep(0.001 * (n % 3))
        await asyncio.sleep(0.1)
    started = [e.track_id for e in seen if isinstance(e, TrackStarted)]
    ended = [e.track_id for e in seen if isinstance(e, TrackEnded)]
    assert started == [f"t{n}" for n in range(300)]
    assert sorted(ended) == sorted(started), "each started track ends exactly once"


async def test_a_read_on_the_clock_thread_resumes_the_reader_on_the_loop() -> None:
    loop_thread = threading.get_ident()
    resumed = asyncio.Event()
    resumed_on: list[int] = []

    def resume() -> None:
        resumed_on.append(threading.get_ident())
        resumed.set()

    options = PipelineOptions(readahead_frames=8, resume_frames=4, refill_jitter_frames=0, ready_frames=3)
    buffer = FrameBuffer(options, pause=lambda: None, resume=resume)
    buffer.add([bytes([n]) for n in range(8)])
    assert buffer.paused
    handoff = LoopHandoff.of_running_loop()
    before_hand_over: list[int] = []

    def tick() -> None:  # what the clock's thread does: reads under a tick, then hands the tick's calls over
        for _ in range(5):
            buffer.read()
        before_hand_over.extend(resumed_on)
        handoff.hand_over()

    reader = threading.Thread(target=tick)
    reader.start()
    reader.join()
    await asyncio.wait_for(resumed.wait(), 1.0)
    assert before_hand_over == [], "nothing is resumed before the tick is handed over"
    assert resumed_on == [loop_thread]


class _StallingSink(RecordingSink):
    """Blocks the clock thread for `stall_s` on its tenth frame (a send that hung)."""

    def __init__(self, stall_s: float) -> None:
        super().__init__()
        self._stall_s = stall_s

    @override
    def send_opus(self, packet: bytes) -> None:
        super().send_opus(packet)
        if len(self.packets) == 10:
            time.sleep(self._stall_s)


async def test_a_clock_that_fell_behind_drops_the_missed_ticks_and_says_why(caplog: pytest.LogCaptureFixture) -> None:
    sink = _StallingSink(0.25)
    with caplog.at_level(logging.WARNING, logger="worker.audio.pacer"):
        async with Pacer() as pacer:
            pacer.attach(1, sink).play(FakeSource("a", None))
            await asyncio.sleep(0.6)
    assert pacer.counters.skipped_ticks >= 10, "250 ms behind: a dozen ticks dropped, not sent in a burst"
    gaps = [later - earlier for earlier, later in itertools.pairwise(sink.times)]
    resumed_at = sink.times[gaps.index(max(gaps)) + 1]
    soon = [t for t in sink.times if resumed_at <= t < resumed_at + 0.06]
    # At its pace 3 or 4 frames go out in 60 ms (a few more if the machine is loaded); the 12 dropped would be 15.
    assert len(soon) <= 8, f"{len(soon)} frames in the 60 ms after the stall: the dropped ticks came in a burst"
    ticked = [re.search(r"ticked (\d+) ms", r.getMessage()) for r in caplog.records]
    assert any(m is not None and int(m.group(1)) >= 200 for m in ticked), "the warning names the slow tick"


async def test_the_clock_asks_for_its_real_time_priority(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="worker.audio.pacer"):
        async with Pacer(priority=5) as pacer:
            pacer.attach(1, RecordingSink()).play(FakeSource("a", None))
            await asyncio.sleep(0.1)
            thread = cast(threading.Thread, pacer._thread)
            assert thread.native_id is not None
            policy = os.sched_getscheduler(thread.native_id)
            priority = os.sched_getparam(thread.native_id).sched_priority
    refused = [r for r in caplog.records if "normal priority" in r.getMessage()]
    if os.geteuid() == 0 or resource.getrlimit(resource.RLIMIT_RTPRIO)[0] >= 5:
        assert (policy, priority) == (os.SCHED_RR, 5)
        assert not refused
    else:  # an unprivileged test run: refused, and said once
        assert policy == os.SCHED_OTHER and len(refused) == 1
    assert os.sched_getscheduler(0) == os.SCHED_OTHER, "only the clock's thread, not the loop's"


def test_the_run_delay_counts_time_spent_waiting_for_a_cpu() -> None:
    """This thread and a spinning process on one CPU: the kernel makes each wait for the other, and it shows."""
    affinity = os.sched_getaffinity(0)
    cpu = min(affinity)
    spinner = subprocess.Popen(
        [sys.executable, "-c", f"import os; os.sched_setaffinity(0, {{{cpu}}})\nwhile True: pass"]
    )
    os.sched_setaffinity(0, {cpu})  # this thread only
    try:
        time.sleep(0.2)  # the spinner is up and pinned
        delay = _RunDelay()
        delay.mark()
        until = time.monotonic() + 0.3
        while time.monotonic() < until:
            pass
        reading = delay.since_mark()
    finally:
        os.sched_setaffinity(0, affinity)
        spinner.kill()
        spinner.wait()
    match = re.fullmatch(r"waited (\d+) ms for a CPU in the last (\d+) ms", reading)
    assert match is not None, reading
    assert int(match.group(1)) >= 50, f"half of one CPU for 300 ms: {reading}"
