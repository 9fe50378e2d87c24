"""The in-process passthrough against the loopback media server and the real guarded proxy: the packets FFmpeg's
stream copy yields, seeks through the Cues, a resumed connection, broken and hostile servers, no FFmpeg process."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from tests.audio.conftest import Media, ffmpeg_children
from tests.audio.draining import drain
from tests.audio.hop_watch import no_hop_reached
from tests.audio.sentinel import SENTINEL_HOSTS, Sentinel
from tests.factories import make_stream
from tests.media.hostile import Redirect
from tests.media.server import MediaServer
from worker.audio.errors import SourceError, SourceTimeoutError
from worker.audio.ffmpeg_args import PipelineOptions, PlaybackMode, TrackRequest
from worker.audio.ffmpeg_source import FFmpegSource, SourceState
from worker.audio.inprocess_source import InProcessSource
from worker.audio.opener import OpenedSource, SourceOpener
from worker.audio.webm import TimedPacket, WebmOpusDemuxer

PASS = PlaybackMode.PASSTHROUGH


def _request(url: str, start_ms: int = 0) -> TrackRequest:
    ext = url.rpartition(".")[2]
    return TrackRequest(make_stream(url, ext=ext, headers=(("User-Agent", "encore-test/1"),)), "t", start_ms)


async def _play(opener: SourceOpener, request: TrackRequest, kind: type[OpenedSource]) -> list[bytes]:
    source = await opener.open(request, PASS)
    try:
        assert isinstance(source, kind)
        if isinstance(source, InProcessSource):
            assert ffmpeg_children() == [], "the in-process passthrough started FFmpeg"
        frames = await drain(source, timeout_s=60)
        assert source.state is SourceState.ENDED, source.error
        return frames
    finally:
        await source.aclose()


def _ffmpeg(options: PipelineOptions) -> SourceOpener:
    return SourceOpener(dataclasses.replace(options, inprocess_passthrough=False))


def _all_packets(media: Media, name: str) -> list[TimedPacket]:
    demux = WebmOpusDemuxer()
    packets = demux.feed(media.read(name))
    demux.close()
    return packets


@pytest.mark.parametrize("name", ["tone440.webm", "sweep.webm", "tone440.ogg", "sweep.ogg"])
async def test_packets_are_the_ones_ffmpeg_passes_through(
    http_media: MediaServer, proxied_options: PipelineOptions, name: str
) -> None:
    request = _request(http_media.url(name))
    ours = await _play(SourceOpener(proxied_options), request, InProcessSource)
    theirs = await _play(_ffmpeg(proxied_options), request, FFmpegSource)
    assert len(ours) > 100
    assert ours == theirs


@pytest.mark.parametrize("start_ms", [1, 2990, 7013, 12000, 19980])
async def test_a_start_position_lands_on_its_frame(
    http_media: MediaServer, media: Media, proxied_options: PipelineOptions, start_ms: int
) -> None:
    request = _request(http_media.url("sweep.webm"), start_ms)
    ours = await _play(SourceOpener(proxied_options), request, InProcessSource)
    everything = _all_packets(media, "sweep.webm")
    first = [p.data for p in everything].index(ours[0])
    assert [p.data for p in everything[first:]] == ours, "from its first frame on, nothing is lost or repeated"
    assert abs(everything[first].at_ms - start_ms) <= 20, "the first frame is the one at the start position"
    theirs = await _play(_ffmpeg(proxied_options), request, FFmpegSource)
    assert ours == theirs, "FFmpeg's stream copy starts on the same frame"


async def test_a_seek_fetches_the_head_the_cues_and_the_cluster(
    hop_server: MediaServer, proxied_options: PipelineOptions
) -> None:
    await _play(SourceOpener(proxied_options), _request(hop_server.url("sweep.webm"), 9000), InProcessSource)
    ranges = [r for path, r in hop_server.requests if path == "/sweep.webm"]
    assert len(ranges) == 3 and ranges[0] == "bytes=0-", ranges
    assert all(r is not None and r.startswith("bytes=") for r in ranges)
    assert [a for path, a in hop_server.agents if path == "/sweep.webm"] == ["encore-test/1"] * 3


@pytest.mark.parametrize("name", ["live.webm", "tone440.ogg"], ids=["webm-without-cues", "ogg"])
async def test_without_an_index_a_seek_falls_back_to_ffmpeg(
    http_media: MediaServer, options: PipelineOptions, name: str
) -> None:
    request = _request(http_media.url(name), 1000 if name.endswith(".ogg") else 2000)
    source = await SourceOpener(options).open(request, PASS)
    try:
        assert isinstance(source, FFmpegSource)
        assert len(await drain(source)) == pytest.approx(100 if name.endswith(".ogg") else 200, abs=3)
    finally:
        await source.aclose()


@pytest.mark.parametrize("name", ["frames60.webm", "frames60.ogg"])
async def test_frames_longer_than_20_ms_are_transcoded(
    http_media: MediaServer, options: PipelineOptions, name: str
) -> None:
    source = await SourceOpener(options).open(_request(http_media.url(name)), PASS)
    try:
        assert isinstance(source, FFmpegSource)
        assert source.mode is PlaybackMode.TRANSCODE
    finally:
        await source.aclose()


@pytest.mark.parametrize("name", ["sweep.webm", "sweep.ogg"])
@pytest.mark.parametrize("through_proxy", [False, True], ids=["direct", "through-proxy"])
async def test_a_dropped_connection_resumes_without_loss_or_repeat(
    hop_server: MediaServer, options: PipelineOptions, proxied_options: PipelineOptions, through_proxy: bool, name: str
) -> None:
    chosen = proxied_options if through_proxy else options
    ours = await _play(SourceOpener(chosen), _request(hop_server.url(f"hostile/drop/{name}")), InProcessSource)
    assert hop_server.hostile.requests[f"drop/{name}"] == 2, "the connection dropped once and was resumed"
    resumed = hop_server.hostile.log[1][2]
    assert resumed.startswith("bytes=") and resumed != "bytes=0-"
    assert ours == await _play(_ffmpeg(chosen), _request(hop_server.url(name)), FFmpegSource)


@pytest.mark.parametrize("name", ["sweep.webm", "sweep.ogg"])
@pytest.mark.parametrize("behaviour", ["truncated", "garbage", "html", "empty"])
async def test_a_broken_file_fails_the_source(
    http_media: MediaServer, proxied_options: PipelineOptions, behaviour: str, name: str
) -> None:
    url = http_media.url(f"hostile/{behaviour}/{name}")
    with pytest.raises(SourceError) as failed:
        await SourceOpener(proxied_options).open(_request(url), PASS)
    assert not isinstance(failed.value, SourceTimeoutError)
    assert "Opus stream" in str(failed.value) or "no audio" in str(failed.value)


async def test_a_file_cut_mid_stream_fails_after_its_frames(
    http_media: MediaServer, media: Media, proxied_options: PipelineOptions
) -> None:
    cut = media.root / "cut.webm"
    cut.write_bytes(media.read("sweep.webm")[: len(media.read("sweep.webm")) // 2])
    source = await SourceOpener(proxied_options).open(_request(http_media.url("cut.webm")), PASS)
    try:
        assert isinstance(source, InProcessSource)
        frames = await drain(source)
        assert frames and source.state is SourceState.FAILED
        assert isinstance(source.error, SourceError)
    finally:
        await source.aclose()


async def test_a_hanging_server_times_out(http_media: MediaServer, proxied_options: PipelineOptions) -> None:
    quick = dataclasses.replace(proxied_options, io_timeout_s=0.5)
    with pytest.raises(SourceTimeoutError):
        await SourceOpener(quick).open(_request(http_media.url("hostile/hang/sweep.webm")), PASS)


@pytest.mark.parametrize("host", SENTINEL_HOSTS)
@pytest.mark.parametrize("through_proxy", [False, True], ids=["direct", "through-proxy"])
async def test_a_redirect_to_a_refused_address_is_refused(
    hop_server: MediaServer,
    sentinels: dict[str, Sentinel],
    options: PipelineOptions,
    proxied_options: PipelineOptions,
    host: str,
    through_proxy: bool,
) -> None:
    url = hop_server.redirect("sweep.webm", Redirect(to=sentinels[host].url()))
    with pytest.raises(SourceError, match=r"redirects|HTTP 403"):
        await SourceOpener(proxied_options if through_proxy else options).open(_request(url), PASS)
    assert hop_server.hits["/sweep.webm"] == 1
    no_hop_reached(sentinels)


async def test_a_redirect_through_the_proxy_is_followed(
    hop_server: MediaServer, proxied_options: PipelineOptions
) -> None:
    url = hop_server.redirect("moved.webm", Redirect(to="/sweep.webm"))
    frames = await _play(SourceOpener(proxied_options), _request(url), InProcessSource)
    assert len(frames) == pytest.approx(1000, abs=2)


async def test_reading_pauses_at_the_read_ahead_bound(
    http_media: MediaServer, proxied_options: PipelineOptions
) -> None:
    source = await SourceOpener(proxied_options).open(_request(http_media.url("sweep.webm")), PASS)
    try:
        assert isinstance(source, InProcessSource)
        await asyncio.sleep(1.0)
        # one read past the bound brings at most what the 32 KiB socket buffer held (about 100 frames)
        assert source.buffered_frames <= proxied_options.readahead_frames + 100, "the whole file was read ahead"
        assert len(await drain(source)) == pytest.approx(1000, abs=2)
    finally:
        await source.aclose()
