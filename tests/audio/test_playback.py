"""The pacer driving real FFmpeg pipelines: gapless track changes, filter changes without a gap, pause."""

from __future__ import annotations

import asyncio

import pytest

from localdiscord.voice.audio_analysis import dominant_frequency, pcm_window, rms_dbfs
from localdiscord.voice.opus_codec import decode_packets
from tests.audio.conftest import Media
from tests.audio.fakes import RecordingSink
from tests.factories import make_stream
from worker.audio.ffmpeg_args import PlaybackMode, TrackRequest
from worker.audio.frames import SILENCE_FRAME
from worker.audio.guild_stream import EndReason, StreamEvent, TrackEnded, TrackStarted
from worker.audio.opener import SourceOpener
from worker.audio.pacer import Pacer


async def _next_event(queue: asyncio.Queue[StreamEvent], timeout_s: float = 10.0) -> StreamEvent:
    async with asyncio.timeout(timeout_s):
        return await queue.get()


async def test_gapless_change_between_a_passthrough_and_a_transcoded_track(opener: SourceOpener, media: Media) -> None:
    sink = RecordingSink()
    async with Pacer() as pacer:
        stream = pacer.attach(1, sink)
        seen: asyncio.Queue[StreamEvent] = asyncio.Queue()
        stream.on_event = seen.put_nowait
        first = await opener.open(TrackRequest(make_stream(media.path("tone440.webm")), "first"))
        second = await opener.open(TrackRequest(make_stream(media.path("split.mp3")), "second", start_ms=1000))
        assert (first.mode, second.mode) == (PlaybackMode.PASSTHROUGH, PlaybackMode.TRANSCODE)
        stream.play(first)
        stream.set_next(second)
        events = [await _next_event(seen) for _ in range(4)]
        assert events[:3] == [TrackStarted("first"), events[1], TrackStarted("second")]
        assert isinstance(events[1], TrackEnded)
        assert events[1].reason is EndReason.FINISHED
        assert isinstance(events[3], TrackEnded)
        assert events[3].position_ms == pytest.approx(2000, abs=60)
        await asyncio.sleep(0.15)
        assert pacer.counters.deficits == 0, "the next track's first frame went out on the tick after the last one"
    audio = [p for p in sink.packets if p != SILENCE_FRAME]
    assert len(audio) == pytest.approx(151 + 51, abs=3)
    pcm = decode_packets(audio)
    assert dominant_frequency(pcm_window(pcm, 2.5, 0.2)) == pytest.approx(440, abs=3)
    assert dominant_frequency(pcm_window(pcm, 3.2, 0.2)) == pytest.approx(880, abs=3)


async def test_volume_change_starts_the_new_pipeline_before_dropping_the_old(
    opener: SourceOpener, media: Media
) -> None:
    sink = RecordingSink()
    async with Pacer() as pacer:
        stream = pacer.attach(1, sink)
        stream.play(await opener.open(TrackRequest(make_stream(media.path("long.mp3")), "t")))
        await asyncio.sleep(1.0)
        position = stream.position_ms
        assert position is not None
        quieter = await opener.open(
            TrackRequest(make_stream(media.path("long.mp3")), "t", start_ms=position, volume=50)
        )
        swapped_at = len(sink.packets)
        played_meanwhile = stream.position_ms
        assert stream.swap_pipeline(quieter)
        assert stream.position_ms == pytest.approx(played_meanwhile, abs=20)
        await asyncio.sleep(1.0)
        assert pacer.counters.deficits == 0
        stream.stop()
    pcm = decode_packets(sink.packets)
    swap_s = swapped_at * 0.02
    before = rms_dbfs(pcm_window(pcm, swap_s - 0.6, 0.5))
    after = rms_dbfs(pcm_window(pcm, swap_s + 0.1, 0.5))
    assert after - before == pytest.approx(-10, abs=1)


async def test_pause_and_resume_on_a_real_track(opener: SourceOpener, media: Media) -> None:
    sink = RecordingSink()
    async with Pacer() as pacer:
        stream = pacer.attach(1, sink)
        stream.play(await opener.open(TrackRequest(make_stream(media.path("long.mp3")), "t")))
        await asyncio.sleep(0.3)
        stream.pause()
        await asyncio.sleep(0.3)
        paused_at = stream.position_ms
        sent = len(sink.calls)
        await asyncio.sleep(0.3)
        assert len(sink.calls) == sent, "nothing is sent while paused"
        assert stream.position_ms == paused_at
        stream.resume()
        await asyncio.sleep(0.3)
        assert pacer.counters.silence_sent == 5
    speaking = [on for kind, on in sink.calls if kind == "speaking"]
    assert speaking[:3] == [True, False, True]
    assert sink.packets.count(SILENCE_FRAME) >= 5
