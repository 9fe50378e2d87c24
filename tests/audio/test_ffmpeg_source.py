from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import override

import pytest

from localdiscord.voice.audio_analysis import dominant_frequency, pcm_window, peak_dbfs, rms_dbfs
from localdiscord.voice.opus_codec import decode_packets
from shared.models import Equalizer, EqualizerPreset, FilterChain, FilterPreset
from tests.audio.conftest import Media
from tests.audio.draining import drain
from tests.factories import make_stream
from tests.media.server import MediaServer
from tests.services.proc import process_exists
from worker.audio.errors import SourceError
from worker.audio.ffmpeg_args import PipelineOptions, PlaybackMode, TrackRequest
from worker.audio.ffmpeg_source import FFmpegSource, SourceState, _shrink_pipe
from worker.audio.ogg import OggOpusDemuxer, opus_packet_samples
from worker.audio.opener import SourceOpener
from worker.audio.probe import ProbeResult


async def _play(opener: SourceOpener, request: TrackRequest) -> tuple[PlaybackMode, list[bytes], int]:
    source = await opener.open(request)
    try:
        frames = await drain(source)
        assert source.state is SourceState.ENDED, source.error
        return source.mode, frames, source.position_ms
    finally:
        await source.aclose()


@pytest.mark.parametrize(
    ("name", "mode"),
    [
        ("tone440.ogg", "passthrough"),
        ("tone440.webm", "passthrough"),
        ("tone440.mp3", "transcode"),
        ("vorbis440.ogg", "transcode"),
    ],
)
async def test_mode_is_chosen_by_probing(opener: SourceOpener, media: Media, name: str, mode: str) -> None:
    assert await opener.choose_mode(TrackRequest(make_stream(media.path(name)), "t")) == mode


async def test_hints_skip_the_probe(opener: SourceOpener) -> None:
    async def no_probe(url: str, options: PipelineOptions, headers: tuple[tuple[str, str], ...]) -> ProbeResult:
        raise AssertionError("probed")

    hinted = SourceOpener(opener.options, prober=no_probe)
    assert (
        await hinted.choose_mode(TrackRequest(make_stream("https://h/x", is_opus=True), "t"))
        is PlaybackMode.PASSTHROUGH
    )
    assert await hinted.choose_mode(TrackRequest(make_stream("https://h/x", ext="m4a"), "t")) is PlaybackMode.TRANSCODE
    assert (
        await hinted.choose_mode(TrackRequest(make_stream("https://h/x.mp3", ext="mp3"), "t")) is PlaybackMode.TRANSCODE
    )
    volume = TrackRequest(make_stream("https://h/x", is_opus=True), "t", volume=90)
    assert await hinted.choose_mode(volume) is PlaybackMode.TRANSCODE
    flat = TrackRequest(make_stream("https://h/x", is_opus=True), "t", equalizer=Equalizer())
    assert await hinted.choose_mode(flat) is PlaybackMode.PASSTHROUGH, "a flat equalizer keeps passthrough"
    bass = TrackRequest(
        make_stream("https://h/x", is_opus=True), "t", equalizer=Equalizer.of_preset(EqualizerPreset.BASS)
    )
    assert await hinted.choose_mode(bass) is PlaybackMode.TRANSCODE


async def test_passthrough_emits_the_source_packets_unchanged(opener: SourceOpener, media: Media) -> None:
    mode, frames, _ = await _play(opener, TrackRequest(make_stream(media.path("tone440.ogg")), "t"))
    assert mode is PlaybackMode.PASSTHROUGH
    assert frames == OggOpusDemuxer().feed(media.read("tone440.ogg"))


@pytest.mark.parametrize("name", ["tone440.mp3", "tone440.webm", "tone440.wav", "mono440.mp3"])
async def test_decoded_output_keeps_the_tone(opener: SourceOpener, media: Media, name: str) -> None:
    _, frames, position = await _play(opener, TrackRequest(make_stream(media.path(name)), "t"))
    assert {opus_packet_samples(f) for f in frames} == {960}
    assert 149 <= len(frames) <= 153
    assert position == pytest.approx(3000, abs=60)
    assert dominant_frequency(pcm_window(decode_packets(frames), 1.0, 0.2)) == pytest.approx(440, abs=2)


@pytest.mark.parametrize(
    ("preset", "expected_hz", "seconds"),
    [(FilterPreset.NIGHTCORE, 550.0, 2.4), (FilterPreset.VAPORWAVE, 352.0, 3.75)],
)
@pytest.mark.parametrize("name", ["tone440.mp3", "tone440_44k.mp3", "tone440.webm"])
async def test_rate_presets_shift_pitch_and_length(
    opener: SourceOpener, media: Media, name: str, preset: FilterPreset, expected_hz: float, seconds: float
) -> None:
    request = TrackRequest(make_stream(media.path(name)), "t", filters=FilterChain(presets=(preset,)))
    mode, frames, position = await _play(opener, request)
    assert mode is PlaybackMode.TRANSCODE
    assert dominant_frequency(pcm_window(decode_packets(frames), 1.0, 0.2)) == pytest.approx(expected_hz, abs=5)
    assert len(frames) * 0.02 == pytest.approx(seconds, abs=0.1)
    assert position == pytest.approx(3000, abs=100), "position is kept in source time"


async def test_pitch_only_keeps_the_length(opener: SourceOpener, media: Media) -> None:
    request = TrackRequest(make_stream(media.path("tone440.mp3")), "t", filters=FilterChain(pitch=1.25))
    _, frames, _ = await _play(opener, request)
    assert len(frames) * 0.02 == pytest.approx(3.0, abs=0.1)
    assert dominant_frequency(pcm_window(decode_packets(frames), 1.0, 0.2)) == pytest.approx(550, abs=5)


async def test_volume_50_is_ten_db_below_100(opener: SourceOpener, media: Media) -> None:
    levels = {}
    for volume in (100, 50, 25):
        _, frames, _ = await _play(opener, TrackRequest(make_stream(media.path("tone440.wav")), "t", volume=volume))
        levels[volume] = rms_dbfs(pcm_window(decode_packets(frames), 0.5, 2.0))
    assert levels[50] - levels[100] == pytest.approx(-10.0, abs=1.0)
    assert levels[25] - levels[100] == pytest.approx(-20.0, abs=1.0)


async def test_volume_zero_is_silent(opener: SourceOpener, media: Media) -> None:
    _, frames, _ = await _play(opener, TrackRequest(make_stream(media.path("tone440.wav")), "t", volume=0))
    assert peak_dbfs(decode_packets(frames)) < -80


@pytest.mark.parametrize("chain", [FilterChain(), FilterChain(presets=(FilterPreset.BASSBOOST,), bass_gain_db=20)])
async def test_volume_200_never_clips(opener: SourceOpener, media: Media, chain: FilterChain) -> None:
    _, frames, _ = await _play(
        opener, TrackRequest(make_stream(media.path("loud440.wav")), "t", volume=200, filters=chain)
    )
    pcm = decode_packets(frames)
    assert peak_dbfs(pcm) <= -0.1
    assert rms_dbfs(pcm_window(pcm, 0.5, 2.0)) > -6, "the limiter must not just turn it down"


@pytest.mark.parametrize("name", ["split.mp3", "split.webm"])
async def test_seek_starts_at_the_position(opener: SourceOpener, media: Media, name: str) -> None:
    source = await opener.open(TrackRequest(make_stream(media.path(name)), "t", start_ms=1200))
    try:
        assert source.position_ms == 1200
        frames = await drain(source)
    finally:
        await source.aclose()
    assert len(frames) * 0.02 == pytest.approx(0.8, abs=0.06)
    assert dominant_frequency(pcm_window(decode_packets(frames), 0.04, 0.1)) == pytest.approx(880, abs=3)


@pytest.mark.parametrize(("name", "mode"), [("split.webm", "passthrough"), ("split.mp3", "transcode")])
async def test_http_source_with_seek(
    opener: SourceOpener, http_media: MediaServer, name: str, mode: PlaybackMode
) -> None:
    url = f"{http_media.base}/{name}?token=abc"
    source = await opener.open(TrackRequest(make_stream(url), "t", start_ms=1200))
    try:
        assert source.mode == mode
        frames = await drain(source)
        assert source.state is SourceState.ENDED
    finally:
        await source.aclose()
    assert dominant_frequency(pcm_window(decode_packets(frames), 0.04, 0.1)) == pytest.approx(880, abs=3)
    assert any(path.startswith(f"/{name}") and rng for path, rng in http_media.requests)


async def test_passthrough_with_odd_frame_sizes_falls_back_to_transcode(opener: SourceOpener, media: Media) -> None:
    mode, frames, _ = await _play(opener, TrackRequest(make_stream(media.path("frames60.ogg")), "t"))
    assert mode is PlaybackMode.TRANSCODE
    assert {opus_packet_samples(f) for f in frames} == {960}


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("missing.mp3", "No such file or directory"),
        ("notaudio.txt", "ffmpeg failed"),
        ("vorbis440.ogg#not-a-file", "No such file"),
    ],
)
async def test_bad_files_give_a_clear_error(opener: SourceOpener, media: Media, url: str, message: str) -> None:
    with pytest.raises(SourceError, match=message):
        await opener.open(TrackRequest(make_stream(media.path(url), ext="mp3"), "t"))


async def test_http_404_gives_a_clear_error(opener: SourceOpener, http_media: MediaServer) -> None:
    with pytest.raises(SourceError, match="404") as caught:
        await opener.open(TrackRequest(make_stream(f"{http_media.base}/gone.webm?sig=secret"), "t"))
    assert "secret" not in str(caught.value)


async def test_refused_connection_gives_a_clear_error(opener: SourceOpener) -> None:
    with pytest.raises(SourceError, match="Connection refused"):
        await opener.open(TrackRequest(make_stream("http://127.0.0.1:9/x.mp3", ext="mp3"), "t"))


async def test_missing_ffmpeg_binary_is_a_source_error(media: Media) -> None:
    opener = SourceOpener(PipelineOptions(allow_file=True, ffmpeg="/nonexistent/ffmpeg"))
    with pytest.raises(SourceError, match="cannot run"):
        await opener.open(TrackRequest(make_stream(media.path("tone440.mp3"), ext="mp3"), "t"))


async def test_read_ahead_is_bounded_and_close_reaps_a_blocked_ffmpeg(opener: SourceOpener, media: Media) -> None:
    source = await opener.open(TrackRequest(make_stream(media.path("long.mp3")), "t"))
    assert isinstance(source, FFmpegSource)
    await asyncio.sleep(1.0)
    pid = source.pid
    assert pid is not None
    assert source.state is SourceState.STREAMING, "ffmpeg must be held back by the full buffer"
    # One pipe read may overshoot the bound by what the (shrunk, 8 KiB) kernel pipe held.
    assert opener.options.readahead_frames <= source.buffered_frames <= opener.options.readahead_frames + 60
    await asyncio.wait_for(source.aclose(), timeout=10)  # a hang guard: a blocked FFmpeg must not stall close
    assert not process_exists(pid)


async def test_ffmpeg_killed_mid_track_is_a_failure(opener: SourceOpener, media: Media) -> None:
    source = await opener.open(TrackRequest(make_stream(media.path("long.mp3")), "t"))
    try:
        assert isinstance(source, FFmpegSource)
        assert source.pid is not None
        os.kill(source.pid, 9)
        frames = await drain(source)
        assert source.state is SourceState.FAILED
        assert "exit -9" in str(source.error)
        assert 0 < len(frames) < 1500
    finally:
        await source.aclose()


async def test_a_corrupt_stream_from_the_process_is_a_clear_failure(media: Media, tmp_path: Path) -> None:
    ogg = bytearray(media.read("tone440.ogg"))
    ogg[-5] ^= 0xFF  # breaks the last page's checksum
    (tmp_path / "broken.ogg").write_bytes(ogg)
    broken = str(tmp_path / "broken.ogg")
    request = TrackRequest(make_stream(broken), "t")
    # Any process writing Ogg to stdout will do: `cat` replays the damaged file.
    source = FFmpegSource(["cat", broken], request=request, mode=PlaybackMode.PASSTHROUGH, options=PipelineOptions())
    try:
        await source.start()
        frames = await drain(source)
    finally:
        await source.aclose()
    assert source.state is SourceState.FAILED
    assert "malformed stream" in str(source.error)
    assert "checksum" in str(source.error)
    assert len(frames) < 150


async def test_ffmpeg_follows_no_redirect(opener: SourceOpener, media_server: MediaServer) -> None:
    """Redirects are followed (and checked by the URL guard) when the stream is resolved, never by FFmpeg."""
    target = media_server.url("media/tone3_440hz.mp3")
    direct = await opener.open(TrackRequest(make_stream(target, ext="mp3"), "direct"))
    await direct.aclose()
    with pytest.raises(SourceError):
        await opener.open(TrackRequest(make_stream(media_server.url(f"redirect?to={target}"), ext="mp3"), "t"))


class _ClosedPipeTransport(asyncio.BaseTransport):
    def __init__(self, handle: object) -> None:
        super().__init__()
        self._handle = handle

    @override
    def get_extra_info(self, name: str, default: object = None) -> object:
        return self._handle if name == "pipe" else default


def test_resizing_the_pipe_of_a_process_that_already_exited_is_harmless(tmp_path: Path) -> None:
    # A process that exits at once (the corrupt-stream test's `cat`) can close its pipe before start() resizes it.
    with open(tmp_path / "f", "wb") as handle:
        pass
    _shrink_pipe(_ClosedPipeTransport(handle), 8192)
