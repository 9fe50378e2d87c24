from __future__ import annotations

import asyncio

import pytest

from tests.audio.fakes import FakeSource, RecordingSink
from worker.audio.errors import SourceError
from worker.audio.frames import SILENCE_FRAME, FrameSource
from worker.audio.guild_stream import EndReason, GuildStream, PacerCounters, Splice, Spliced, TrackEnded, TrackStarted
from worker.audio.pacer import Pacer

SILENCE = [("opus", SILENCE_FRAME)] * 5 + [("speaking", False)]


class Harness:
    """A GuildStream ticked by hand, so the frame logic is tested without a clock."""

    def __init__(self) -> None:
        self.sink = RecordingSink()
        self.retired: list[FrameSource] = []
        self.counters = PacerCounters()
        self.stream = GuildStream(1, self.sink, retire=self.retired.append, counters=self.counters)
        self._events: list[object] = []
        self.stream.on_event = self._events.append

    def tick(self, times: int = 1) -> None:
        for _ in range(times):
            self.stream.tick()

    def next_source(self) -> FrameSource | None:
        return self.stream.next

    def events(self) -> list[object]:
        out, self._events[:] = list(self._events), []
        return out


def _opus(*frames: str) -> list[tuple[str, bytes | bool]]:
    return [("opus", f.encode()) for f in frames]


def test_gapless_switch_is_a_pointer_swap_at_a_frame_boundary() -> None:
    h = Harness()
    a, b = FakeSource("a", 3), FakeSource("b", 2)
    h.stream.play(a)
    h.stream.set_next(b)
    h.tick(5)
    assert h.sink.calls == [("speaking", True), *_opus("a:0", "a:1", "a:2", "b:0", "b:1")]
    assert h.events() == [TrackStarted("a"), TrackEnded("a", EndReason.FINISHED, 60), TrackStarted("b")]
    assert h.retired == [a]
    h.tick(7)
    assert h.sink.calls[6:] == SILENCE
    assert h.events() == [TrackEnded("b", EndReason.FINISHED, 40)]
    assert h.counters.deficits == 0
    assert (h.counters.frames_sent, h.counters.silence_sent) == (5, 5)


def test_pause_sends_five_silence_frames_then_nothing_and_resume_continues() -> None:
    h = Harness()
    h.stream.play(FakeSource("a", None))
    h.tick(2)
    h.stream.pause()
    h.tick(10)
    assert h.sink.calls == [("speaking", True), *_opus("a:0", "a:1"), *SILENCE]
    h.stream.resume()
    h.tick(1)
    assert h.sink.calls[-2:] == [("speaking", True), ("opus", b"a:2")]
    assert h.stream.position_ms == 60


def test_underrun_sends_nothing_and_counts_a_deficit() -> None:
    h = Harness()
    source = FakeSource("a", 10, available=2)
    h.stream.play(source)
    h.tick(5)
    assert h.sink.packets == [b"a:0", b"a:1"]
    assert (h.counters.deficits, h.stream.counters.deficits) == (3, 3)
    source.available = 10
    h.tick(1)
    assert h.sink.packets[-1] == b"a:2"


def test_stop_ends_the_track_drops_the_prepared_one_and_goes_silent() -> None:
    h = Harness()
    a, b = FakeSource("a", None), FakeSource("b", 5)
    h.stream.play(a)
    h.stream.set_next(b)
    h.tick(1)
    h.stream.stop()
    h.tick(8)
    assert h.events() == [TrackStarted("a"), TrackEnded("a", EndReason.STOPPED, 20)]
    assert h.retired == [a, b]
    assert h.sink.calls[2:] == SILENCE
    assert h.stream.current is None
    assert h.stream.next is None


def test_a_failed_track_does_not_advance_to_the_prepared_one() -> None:
    h = Harness()
    a, b = FakeSource("a", 100, available=2), FakeSource("b", 5)
    a.fail_with = SourceError("ffmpeg failed (exit 1): Connection reset")
    h.stream.play(a)
    h.stream.set_next(b)
    h.tick(3)
    assert h.events() == [
        TrackStarted("a"),
        TrackEnded("a", EndReason.FAILED, 40, "ffmpeg failed (exit 1): Connection reset"),
    ]
    assert h.next_source() is b
    h.tick(6)
    assert h.sink.calls[3:] == SILENCE
    h.stream.play(b)
    h.tick(1)
    assert h.events() == [TrackStarted("b")]
    assert h.next_source() is None
    assert h.sink.calls[-1] == ("opus", b"b:0")


def test_play_replaces_the_current_track() -> None:
    h = Harness()
    a, b = FakeSource("a", None), FakeSource("b", None)
    h.stream.play(a)
    h.tick(2)
    h.stream.play(b)
    h.tick(1)
    assert h.sink.packets == [b"a:0", b"a:1", b"b:0"]
    assert h.events() == [TrackStarted("a"), TrackEnded("a", EndReason.REPLACED, 40), TrackStarted("b")]


@pytest.mark.parametrize(("rate_factor", "skipped"), [(1.0, 10), (1.25, 8), (0.8, 12)])
def test_swap_pipeline_skips_what_the_old_pipeline_played_meanwhile(rate_factor: float, skipped: int) -> None:
    h = Harness()
    old = FakeSource("a", None)
    h.stream.play(old)
    h.tick(30)  # the new pipeline was started at 600 ms ...
    new = FakeSource("a", None, rate_factor=rate_factor)
    new.start_ms = 600
    h.tick(10)  # ... and became ready 200 ms later
    assert h.stream.swap_pipeline(new)
    assert new.skipped == skipped
    assert h.stream.current is new
    assert h.retired == [old]
    h.tick(1)
    assert h.sink.packets[-1] == b"a:0"
    assert h.events() == [TrackStarted("a")], "a pipeline swap is not a track change"


def test_swap_pipeline_for_a_track_no_longer_playing_is_refused() -> None:
    h = Harness()
    h.stream.play(FakeSource("b", None))
    stale = FakeSource("a", None)
    assert not h.stream.swap_pipeline(stale)
    assert h.retired == [stale]


async def test_one_broken_sink_does_not_stop_other_guilds() -> None:
    async with Pacer() as pacer:
        good, bad = RecordingSink(), RecordingSink()
        s1, s2 = pacer.attach(1, good), pacer.attach(2, bad)
        seen: list[object] = []
        s2.on_event = seen.append
        bad.fail = True
        s1.play(FakeSource("a", None))
        s2.play(FakeSource("b", None))
        await asyncio.sleep(0.2)
        assert len(good.packets) >= 5
        assert len(seen) == 2
        assert seen[1] == TrackEnded("b", EndReason.FAILED, 20, "voice send failed: socket closed")


async def test_attach_twice_is_refused_and_detach_closes_sources() -> None:
    async with Pacer() as pacer:
        stream = pacer.attach(5, RecordingSink())
        with pytest.raises(ValueError, match="already attached"):
            pacer.attach(5, RecordingSink())
        source = FakeSource("a", None)
        stream.play(source)
        pacer.detach(5)
        assert pacer.stream(5) is None
    assert source.closed


async def test_pacer_keeps_20ms_without_drift() -> None:
    sink = RecordingSink()
    async with Pacer() as pacer:
        pacer.attach(1, sink).play(FakeSource("a", None))
        await asyncio.sleep(3.0)
    times = sink.times
    span = times[-1] - times[0]
    intervals = len(times) - 1
    skipped = pacer.counters.skipped_ticks
    # Drift-free: frame n goes out at start + 20 ms · n, so the span is the frame count times 20 ms; only ticks dropped
    # after a stall (a loaded machine) leave frames out, and those are counted.
    assert span == pytest.approx((intervals + skipped) * 0.020, abs=0.045)
    assert intervals + skipped >= 140
    assert pacer.counters.deficits == 0


def test_silence_can_be_left_to_the_sink() -> None:
    sink = RecordingSink()
    stream = GuildStream(1, sink, retire=lambda _: None, counters=PacerCounters(), silence_frames=0)
    stream.play(FakeSource("a", 1))
    stream.tick()
    stream.tick()
    stream.tick()
    assert sink.calls == [("speaking", True), ("opus", b"a:0"), ("speaking", False)]


def test_playing_the_current_source_again_changes_nothing() -> None:
    h = Harness()
    a = FakeSource("a", None)
    h.stream.play(a)
    h.stream.play(a)
    h.tick(1)
    assert h.events() == [TrackStarted("a")]
    assert h.retired == []


def test_the_first_frame_of_each_track_is_reported_once_when_it_is_sent() -> None:
    h = Harness()
    sent: list[str] = []
    h.stream.on_first_frame = sent.append
    a = FakeSource("a", 3, available=0)
    h.stream.play(a)
    h.tick(2)
    assert sent == [], "nothing buffered yet: nothing went out"
    a.available = 3
    h.stream.pause()
    h.tick(6)
    assert sent == [], "paused: only silence went out"
    h.stream.resume()
    h.tick()
    assert sent == ["a"]
    h.stream.set_next(FakeSource("b", 2))
    h.tick(3)
    assert sent == ["a", "b"], "a gapless successor is reported on its own first frame"
    h.stream.play(FakeSource("c", 5))
    h.stream.swap_pipeline(FakeSource("c", 5))
    h.tick(2)
    assert sent == ["a", "b", "c"], "a new pipeline of the same track before its first frame: reported once"


# ---- splices (SponsorBlock cuts) ------------------------------------------------------------------------------


def test_a_splice_continues_from_the_prepared_pipeline_on_the_frame_at_the_cut() -> None:
    h = Harness()
    a = FakeSource("a", None)
    h.stream.play(a)
    later = FakeSource("a", None)
    later.start_ms = 2000
    h.stream.set_splice(Splice("a", 100, later))
    h.tick(7)
    assert h.sink.packets == [b"a:0", b"a:1", b"a:2", b"a:3", b"a:4", b"a:0", b"a:1"], "no gap, no extra frame"
    assert h.stream.current is later and h.retired == [a]
    assert h.events() == [TrackStarted("a"), Spliced("a", 100, 2000)], "a splice is not a track change"
    assert h.stream.position_ms == 2040
    assert h.counters.deficits == 0


def test_a_splice_without_a_source_finishes_the_track_and_the_next_follows_gaplessly() -> None:
    h = Harness()
    h.stream.play(FakeSource("a", None))
    h.stream.set_next(FakeSource("b", None))
    h.stream.set_splice(Splice("a", 60, None))
    h.tick(5)
    assert h.sink.packets == [b"a:0", b"a:1", b"a:2", b"b:0", b"b:1"]
    assert h.events() == [TrackStarted("a"), TrackEnded("a", EndReason.FINISHED, 60), TrackStarted("b")]


def test_a_splice_is_dropped_with_its_track_and_never_applies_to_another() -> None:
    h = Harness()
    h.stream.play(FakeSource("a", None))
    stale = FakeSource("a", None)
    h.stream.set_splice(Splice("a", 40, stale))
    h.stream.play(FakeSource("b", None))
    assert stale in h.retired, "the cut's pipeline is closed with its track"
    h.tick(5)
    assert h.sink.packets == [b"b:0", b"b:1", b"b:2", b"b:3", b"b:4"]
    replaced = FakeSource("a", None)
    h.stream.set_splice(Splice("b", 10**6, replaced))
    h.stream.set_splice(None)
    assert replaced in h.retired
