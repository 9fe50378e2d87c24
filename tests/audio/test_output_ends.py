"""The player's audio output (worker/player/output.py) over real FFmpeg pipelines: how the end of a track travels.

The pacer is ticked by hand here, so "in the same step" is exact: no task, queue or loop iteration lies between
the tick that ends a track and the listener that hears of it. (Ticked on the clock's thread, the end reaches the
loop through the handoff after the tick: tests/audio/test_clock_thread.py.)
"""

from __future__ import annotations

import asyncio

from shared.models import Equalizer, FilterChain
from tests.audio.conftest import Media
from tests.audio.fakes import RecordingSink
from tests.factories import make_stream
from worker.audio.opener import SourceOpener
from worker.audio.pacer import Pacer
from worker.player.output import GuildAudio


async def test_the_end_of_a_track_reaches_the_listener_in_the_tick_that_ends_it(
    opener: SourceOpener, media: Media
) -> None:
    pacer = Pacer()  # never started: ticked by hand
    audio = GuildAudio(1, pacer, opener, RecordingSink())
    ended: list[tuple[str, str | None]] = []
    audio.on_track_end(lambda key, error: ended.append((key, error)))
    try:
        stream = make_stream(media.path("tone440.mp3"), ext="mp3")
        await audio.start(
            stream, key="k", position_ms=0, filters=FilterChain(), equalizer=Equalizer(), volume=100, paused=False
        )
        for _ in range(5000):
            audio.stream.tick()
            if audio.stream.current is None:
                assert ended == [("k", None)], "heard of in the tick that ended the track"
                break
            assert ended == []
            await asyncio.sleep(0.001)  # lets FFmpeg's reader refill the buffer between ticks
        else:
            raise AssertionError("the 3 s track never ended")
        assert audio.adopt("k") is None
    finally:
        await audio.close()
        await pacer.aclose()  # waits for the retired pipelines to close


async def test_a_broken_off_track_reports_why(opener: SourceOpener, media: Media) -> None:
    pacer = Pacer()  # never started: ticked by hand
    audio = GuildAudio(1, pacer, opener, RecordingSink())
    ended: list[tuple[str, str | None]] = []
    audio.on_track_end(lambda key, error: ended.append((key, error)))
    try:
        stream = make_stream(media.path("tone440.mp3"), ext="mp3")
        await audio.start(
            stream, key="k", position_ms=0, filters=FilterChain(), equalizer=Equalizer(), volume=100, paused=False
        )
        audio.stream.fail(OSError("socket closed"))
        assert ended == [("k", "voice send failed: socket closed")]
    finally:
        await audio.close()
        await pacer.aclose()  # waits for the retired pipelines to close
