"""/play to sound, end to end: gateway, two workers, redis-server, fake Discord with DAVE v1, loopback media."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from localdiscord.voice.audio_analysis import peak_sample
from tests.e2e.analysis import longest_silence_s, tone_segments
from tests.e2e.media import E2EMedia
from tests.e2e.stack import Stack
from tests.localdiscord.fixtures import NEXTCORD_WARNINGS
from tests.services.proc import children

pytestmark = [*NEXTCORD_WARNINGS, pytest.mark.e2e, pytest.mark.timeout(120)]


async def test_play_a_440_hz_file_is_heard_at_440_hz(stack: Stack, e2e_media: E2EMedia) -> None:
    _, reply = await stack.command("play", {"query": e2e_media.url("a440.mp3")})
    assert "a440" in reply.content.lower() or reply.embeds, reply
    heard = await stack.hear(2.0)
    assert abs(heard.dominant_frequency() - 440) < 5
    assert heard.decrypted > 0, "frames must arrive DAVE-encrypted and be decrypted by the listener"
    state = await stack.until_state(lambda s: s.now_playing is not None and s.position_ms > 0)
    assert state.now_playing is not None
    assert state.voice_channel_id == stack.world.voice.id


async def test_a_playlist_of_three_tones_plays_in_order_without_gaps(stack: Stack, e2e_media: E2EMedia) -> None:
    started = stack.fake.clock()
    await stack.command("play", {"query": e2e_media.url("three.m3u")})
    await stack.until_history(3, timeout_s=40)
    heard = stack.heard()
    segments = tone_segments(heard, started, stack.fake.clock())
    assert [round(s.frequency / 10) * 10 for s in segments] == [220, 330, 550], segments
    gap = longest_silence_s(heard, segments[0].start, segments[-1].end)
    assert gap <= 0.060, f"a {gap * 1000:.0f} ms gap between tracks"


async def test_nightcore_raises_the_pitch_and_volume_is_perceptual(stack: Stack, e2e_media: E2EMedia) -> None:
    await stack.command("play", {"query": e2e_media.url("a440.mp3")})
    heard = await stack.hear(1.0)
    t0 = stack.fake.clock()
    await asyncio.sleep(1.0)
    unity = heard.rms_dbfs(t0, stack.fake.clock())
    await stack.command("volume", {"level": 50})
    await asyncio.sleep(1.5)
    t1 = stack.fake.clock()
    await asyncio.sleep(1.0)
    half = heard.rms_dbfs(t1, stack.fake.clock())
    assert abs((half - unity) - (-10.0)) <= 1.0, (unity, half)
    await stack.command("volume", {"level": 100})
    await stack.command("filter", {"filters": "nightcore"}, subcommand="set")
    await asyncio.sleep(1.5)
    t2 = stack.fake.clock()
    await asyncio.sleep(1.0)
    assert abs(heard.dominant_frequency(t2, stack.fake.clock()) - 550) < 6


async def test_volume_200_never_clips(stack: Stack, e2e_media: E2EMedia) -> None:
    await stack.command("play", {"query": e2e_media.url("loud.wav")})
    await stack.command("volume", {"level": 200})
    heard = await stack.hear(1.0)
    await asyncio.sleep(1.5)
    t0 = stack.fake.clock()
    await asyncio.sleep(2.0)
    pcm = heard.pcm(t0, stack.fake.clock())
    assert len(pcm) > 48_000 * 4
    assert peak_sample(pcm) < 32_767, "the limiter must keep the boosted signal below full scale"
    assert heard.rms_dbfs(t0, stack.fake.clock()) > -6, "200 must still be loud"
    assert peak_sample(pcm) > 0.8 * 32_767


async def test_seek_pause_resume_skip_loop_and_previous(stack: Stack, e2e_media: E2EMedia) -> None:
    await stack.command("play", {"query": e2e_media.url("steps.mp3")})
    await stack.command("play", {"query": e2e_media.url("t550.mp3")})
    heard = await stack.hear(0.5)
    assert abs(heard.dominant_frequency() - 330) < 5
    await stack.command("seek", {"position": "10"})
    await asyncio.sleep(1.0)
    t0 = stack.fake.clock()
    await asyncio.sleep(0.8)
    assert abs(heard.dominant_frequency(t0, stack.fake.clock()) - 660) < 6, "seek to 10 s lands in the 660 Hz part"
    await stack.command("pause")
    await stack.until_state(lambda s: s.paused)
    await asyncio.sleep(0.6)
    paused_at = (await stack.until_state(lambda s: s.paused)).position_ms
    t1 = stack.fake.clock()
    await asyncio.sleep(1.0)
    assert heard.seconds(t1, stack.fake.clock()) == 0, "nothing is sent while paused"
    assert (await stack.until_state(lambda s: s.paused)).position_ms == paused_at
    await stack.command("resume")
    await stack.hear(0.5, since=stack.fake.clock())
    await stack.command("skip")
    await stack.until_state(lambda s: s.now_playing is not None and "t550" in s.now_playing.track.title)
    await stack.command("loop", {"mode": "track"})
    await asyncio.sleep(3.5)
    state = await stack.until_state(lambda s: s.now_playing is not None)
    assert state.now_playing is not None and "t550" in state.now_playing.track.title, "loop track replays it"
    await stack.command("loop", {"mode": "off"})
    await stack.command("previous")
    await stack.until_state(lambda s: s.now_playing is not None and "steps" in s.now_playing.track.title)
    await asyncio.sleep(0.7)
    t2 = stack.fake.clock()
    heard_again = await stack.hear(0.5, since=t2)
    assert abs(heard_again.dominant_frequency(t2, stack.fake.clock()) - 330) < 5, "previous restarts it from 0"


async def test_an_opus_source_is_passed_through_in_the_worker_without_ffmpeg(stack: Stack, e2e_media: E2EMedia) -> None:
    """A WebM/Opus track that needs no decoding is read and demuxed inside the worker (inprocess_source.py): heard
    at its pitch while the worker has no FFmpeg child; a volume change needs the encoder, so FFmpeg starts."""
    url = e2e_media.url("opus440.webm")
    await stack.command("play", {"query": url})
    heard = await stack.hear(1.0)
    assert abs(heard.dominant_frequency() - 440) < 5
    owner = await stack.owner()
    assert owner is not None
    for _ in range(5):
        assert [c.argv for c in children(stack.workers[owner].pid) if c.name == "ffmpeg"] == []
        await asyncio.sleep(0.1)
    t0 = stack.fake.clock()
    await asyncio.sleep(1.0)
    later = await stack.hear(0.8, since=t0)
    assert abs(later.dominant_frequency(t0, stack.fake.clock()) - 440) < 5, "it goes on playing"
    await stack.command("volume", {"level": 80})
    await stack.until_state(lambda s: s.volume == 80)
    await asyncio.sleep(0.5)
    transcoding = [child.argv for child in children(stack.workers[owner].pid) if url in child.argv]
    assert len(transcoding) == 1
    assert "libopus" in transcoding[0], "a volume change needs the encoder"


def _thread_names(pid: int) -> list[str]:
    return [(task / "comm").read_text().strip() for task in Path(f"/proc/{pid}/task").iterdir()]


async def test_the_frame_clock_runs_on_its_own_thread(stack: Stack) -> None:
    """worker/audio/pacer.py: one thread of the worker sends every guild's frames, named for `top -H`."""
    names = _thread_names(stack.workers[next(iter(stack.workers))].pid)
    assert names.count("audio-clock") == 1, names
    logs = stack.logs_by_process()
    worker_logs = [text for name, text in logs.items() if name != "gateway"]
    assert worker_logs and all("start-up objects" in text for text in worker_logs), "the start-up heap is frozen"
