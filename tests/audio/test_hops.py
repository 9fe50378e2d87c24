"""FFmpeg and ffprobe follow no redirect: a server that redirects them (by user agent, or from the Nth request on)
to a metadata, private or non-allow-listed loopback address never gets them there.

Loopback targets are sentinels that count accepted connections; outside targets are watched by tracing the
processes' connect() calls (tests/audio/connect_trace.py), so no test ever sends a packet to them.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest

from tests.audio.conftest import Media
from tests.audio.connect_trace import ConnectTrace
from tests.audio.http_server import RangeServer, Redirect
from tests.audio.sentinel import OUTSIDE_TARGETS, SENTINEL_HOSTS, Sentinel
from worker.audio.errors import SourceError
from worker.audio.ffmpeg_args import PipelineOptions, PlaybackMode, TrackRequest
from worker.audio.opener import SourceOpener
from worker.audio.probe import probe_audio

BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) encore-test"
# (what the server redirects, the headers encore sends)
IDENTITIES = [
    pytest.param("Lavf", (), id="ffmpeg-own-agent"),
    pytest.param("Mozilla", (("User-Agent", BROWSER_UA),), id="stream-headers-agent"),
]


def _no_hop_reached(sentinels: dict[str, Sentinel], trace: ConnectTrace) -> None:
    assert {host: s.accepted for host, s in sentinels.items()} == dict.fromkeys(sentinels, 0)
    assert trace.outside() == []


@pytest.mark.parametrize("host", SENTINEL_HOSTS)
@pytest.mark.parametrize(("agent", "headers"), IDENTITIES)
async def test_ffprobe_does_not_follow_a_redirect_by_user_agent(
    hop_server: RangeServer,
    sentinels: dict[str, Sentinel],
    connect_trace: ConnectTrace,
    options: PipelineOptions,
    host: str,
    agent: str,
    headers: tuple[tuple[str, str], ...],
) -> None:
    url = hop_server.redirect("tone440.webm", Redirect(to=sentinels[host].url(), agent=agent))
    with pytest.raises(SourceError, match="ffprobe failed"):
        await probe_audio(url, options, headers)
    assert [a for path, a in hop_server.agents if path == "/tone440.webm" and agent in a], "the rule never applied"
    _no_hop_reached(sentinels, connect_trace)


@pytest.mark.parametrize("target", OUTSIDE_TARGETS)
async def test_ffprobe_does_not_follow_a_redirect_outside(
    hop_server: RangeServer,
    sentinels: dict[str, Sentinel],
    connect_trace: ConnectTrace,
    options: PipelineOptions,
    target: str,
) -> None:
    url = hop_server.redirect("tone440.ogg", Redirect(to=target))
    with pytest.raises(SourceError):
        await probe_audio(url, options)
    assert connect_trace.connects(), "ffprobe was not traced"
    _no_hop_reached(sentinels, connect_trace)


@pytest.mark.parametrize("host", SENTINEL_HOSTS)
@pytest.mark.parametrize(("agent", "headers"), IDENTITIES)
async def test_ffmpeg_does_not_follow_a_redirect_by_user_agent(
    hop_server: RangeServer,
    sentinels: dict[str, Sentinel],
    connect_trace: ConnectTrace,
    opener: SourceOpener,
    host: str,
    agent: str,
    headers: tuple[tuple[str, str], ...],
) -> None:
    url = hop_server.redirect("tone440.mp3", Redirect(to=sentinels[host].url(), agent=agent))
    request = TrackRequest(url=url, track_id="hop", codec_hint="mp3", headers=headers)
    with pytest.raises(SourceError):
        await opener.open(request, PlaybackMode.TRANSCODE)
    _no_hop_reached(sentinels, connect_trace)


@pytest.mark.parametrize("target", OUTSIDE_TARGETS)
async def test_ffmpeg_does_not_follow_a_redirect_outside(
    hop_server: RangeServer,
    sentinels: dict[str, Sentinel],
    connect_trace: ConnectTrace,
    opener: SourceOpener,
    target: str,
) -> None:
    url = hop_server.redirect("tone440.mp3", Redirect(to=target))
    with pytest.raises(SourceError):
        await opener.open(TrackRequest(url=url, track_id="hop", codec_hint="mp3"), PlaybackMode.TRANSCODE)
    assert connect_trace.connects(), "ffmpeg was not traced"
    _no_hop_reached(sentinels, connect_trace)


@pytest.mark.parametrize("host", SENTINEL_HOSTS)
async def test_ffmpeg_does_not_follow_a_redirect_of_a_later_request(
    hop_server: RangeServer,
    sentinels: dict[str, Sentinel],
    connect_trace: ConnectTrace,
    opener: SourceOpener,
    host: str,
) -> None:
    """The first request is served; the seek's range request (the 2nd) is redirected."""
    url = hop_server.redirect("long.mp3", Redirect(to=sentinels[host].url(), nth=2))
    request = TrackRequest(url=url, track_id="hop", codec_hint="mp3", start_ms=20_000)
    try:
        source = await opener.open(request, PlaybackMode.TRANSCODE)
    except SourceError:
        pass
    else:
        await source.aclose()
    assert sum(1 for path, _ in hop_server.agents if path == "/long.mp3") >= 2, "FFmpeg made no second request"
    _no_hop_reached(sentinels, connect_trace)


@pytest.mark.parametrize("host", SENTINEL_HOSTS)
async def test_the_detectors_see_a_direct_connection(
    sentinels: dict[str, Sentinel], connect_trace: ConnectTrace, options: PipelineOptions, host: str
) -> None:
    """The sentinel counts, and the trace records, a connection that does happen (so the tests above can fail)."""
    with pytest.raises(SourceError):
        await probe_audio(sentinels[host].url(), options)
    assert sentinels[host].accepted == 1
    assert (host, sentinels[host].port) in connect_trace.connects()


@pytest.mark.xfail(
    strict=True,
    reason="FFmpeg's hls demuxer opens segments without the input's -max_redirects (docs/design.md, URL guard)",
)
async def test_ffprobe_does_not_follow_a_redirect_of_an_hls_segment(
    media: Media,
    tmp_path: Path,
    sentinels: dict[str, Sentinel],
    connect_trace: ConnectTrace,
    options: PipelineOptions,
) -> None:
    """A known hole, kept visible: the segment's own redirect is followed, to a sentinel here."""
    shutil.copy(media.path("tone440.mp3"), tmp_path / "segment.mp3")
    with RangeServer(tmp_path) as server:
        segment = server.redirect("segment.mp3", Redirect(to=sentinels["127.0.0.2"].url()))
        playlist = f"#EXTM3U\n#EXT-X-TARGETDURATION:3\n#EXTINF:3,\n{segment}\n#EXT-X-ENDLIST\n"
        (tmp_path / "list.m3u8").write_text(playlist)
        with contextlib.suppress(SourceError):
            await probe_audio(server.url("list.m3u8"), options)
    _no_hop_reached(sentinels, connect_trace)
