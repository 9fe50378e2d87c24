"""FFmpeg and ffprobe follow no redirect: a server that redirects them (by user agent, or from the Nth request on)
to a metadata, private or non-allow-listed loopback address never gets them there; and through the worker's guarded
proxy, neither do the nested opens of an HLS playlist (segments, keys, their redirects).

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
from tests.audio.draining import drain
from tests.audio.hop_watch import no_hop_reached
from tests.audio.sentinel import OUTSIDE_TARGETS, SENTINEL_HOSTS, Sentinel
from tests.factories import make_stream
from tests.media.hostile import Redirect
from tests.media.server import MediaServer
from worker.audio.errors import SourceError
from worker.audio.ffmpeg_args import PipelineOptions, PlaybackMode, TrackRequest
from worker.audio.opener import SourceOpener
from worker.audio.probe import probe_audio
from worker.resolve.proxy import GuardedProxy

BROWSER_UA = "Mozilla/5.0 (X11; Linux x86_64) encore-test"
# (what the server redirects, the headers encore sends)
IDENTITIES = [
    pytest.param("Lavf", (), id="ffmpeg-own-agent"),
    pytest.param("Mozilla", (("User-Agent", BROWSER_UA),), id="stream-headers-agent"),
]


def _assert_rule_applied(server: MediaServer, path: str, agent: str) -> None:
    assert [a for seen, a in server.agents if seen == "/" + path and agent in a], "the rule never applied"


@pytest.mark.parametrize("host", SENTINEL_HOSTS)
@pytest.mark.parametrize(("agent", "headers"), IDENTITIES)
async def test_ffprobe_does_not_follow_a_redirect_by_user_agent(
    hop_server: MediaServer,
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
    _assert_rule_applied(hop_server, "tone440.webm", agent)
    no_hop_reached(sentinels, connect_trace)


@pytest.mark.parametrize("target", OUTSIDE_TARGETS)
async def test_ffprobe_does_not_follow_a_redirect_outside(
    hop_server: MediaServer,
    sentinels: dict[str, Sentinel],
    connect_trace: ConnectTrace,
    options: PipelineOptions,
    target: str,
) -> None:
    url = hop_server.redirect("tone440.ogg", Redirect(to=target))
    with pytest.raises(SourceError):
        await probe_audio(url, options)
    assert connect_trace.connects(), "ffprobe was not traced"
    no_hop_reached(sentinels, connect_trace)


@pytest.mark.parametrize("host", SENTINEL_HOSTS)
@pytest.mark.parametrize(("agent", "headers"), IDENTITIES)
@pytest.mark.parametrize("through_proxy", [False, True], ids=["direct", "through-proxy"])
async def test_ffmpeg_does_not_follow_a_redirect_by_user_agent(
    hop_server: MediaServer,
    sentinels: dict[str, Sentinel],
    connect_trace: ConnectTrace,
    options: PipelineOptions,
    proxied_options: PipelineOptions,
    host: str,
    agent: str,
    headers: tuple[tuple[str, str], ...],
    through_proxy: bool,
) -> None:
    """Through the proxy the 302 comes back to FFmpeg (tests/resolve/test_proxy.py); `-max_redirects 0` stops it."""
    url = hop_server.redirect("tone440.mp3", Redirect(to=sentinels[host].url(), agent=agent))
    request = TrackRequest(make_stream(url, ext="mp3", headers=headers), "hop")
    with pytest.raises(SourceError):
        await SourceOpener(proxied_options if through_proxy else options).open(request, PlaybackMode.TRANSCODE)
    _assert_rule_applied(hop_server, "tone440.mp3", agent)
    no_hop_reached(sentinels, connect_trace)


@pytest.mark.parametrize("target", OUTSIDE_TARGETS)
async def test_ffmpeg_does_not_follow_a_redirect_outside(
    hop_server: MediaServer,
    sentinels: dict[str, Sentinel],
    connect_trace: ConnectTrace,
    opener: SourceOpener,
    target: str,
) -> None:
    url = hop_server.redirect("tone440.mp3", Redirect(to=target))
    with pytest.raises(SourceError):
        await opener.open(TrackRequest(make_stream(url, ext="mp3"), "hop"), PlaybackMode.TRANSCODE)
    assert connect_trace.connects(), "ffmpeg was not traced"
    no_hop_reached(sentinels, connect_trace)


@pytest.mark.parametrize("host", SENTINEL_HOSTS)
async def test_ffmpeg_does_not_follow_a_redirect_of_a_later_request(
    hop_server: MediaServer,
    sentinels: dict[str, Sentinel],
    connect_trace: ConnectTrace,
    opener: SourceOpener,
    host: str,
) -> None:
    """The first request is cut off by a reset; FFmpeg's reconnect (the 2nd request, with a Range) is redirected.

    A reconnect, not a seek, makes the 2nd request: FFmpeg reads forward instead of seeking when the target is
    within what its socket may buffer, so whether a seek asks again depends on timing.
    """
    path = "hostile/reset/long.mp3"
    url = hop_server.redirect(path, Redirect(to=sentinels[host].url(), nth=2))
    request = TrackRequest(make_stream(url, ext="mp3"), "hop")
    try:
        source = await opener.open(request, PlaybackMode.TRANSCODE)
    except SourceError:
        pass
    else:
        try:
            await drain(source)
        except SourceError:
            pass
        finally:
            await source.aclose()
    assert sum(1 for seen, _ in hop_server.agents if seen == "/" + path) >= 2, "FFmpeg made no second request"
    no_hop_reached(sentinels, connect_trace)


@pytest.mark.parametrize("host", SENTINEL_HOSTS)
async def test_the_detectors_see_a_direct_connection(
    sentinels: dict[str, Sentinel], connect_trace: ConnectTrace, options: PipelineOptions, host: str
) -> None:
    """The sentinel counts, and the trace records, a connection that does happen (so the tests above can fail)."""
    with pytest.raises(SourceError):
        await probe_audio(sentinels[host].url(), options)
    assert sentinels[host].accepted == 1
    assert (host, sentinels[host].port) in connect_trace.connects()


# HLS: the playlist's nested opens (segments, keys, their redirects) through the worker's guarded proxy


def _hls(root: Path, *lines: str) -> None:
    body = ["#EXTM3U", "#EXT-X-TARGETDURATION:3", *lines, "#EXT-X-ENDLIST", ""]
    (root / "list.m3u8").write_text("\n".join(body))


def _segment_targets(sentinels: dict[str, Sentinel]) -> list[str]:
    return [s.url("a.mp3") for s in sentinels.values()] + [t for t in OUTSIDE_TARGETS if t.endswith(".mp3")]


@pytest.fixture
def hls_root(media: Media, tmp_path: Path) -> Path:
    root = tmp_path / "hls"
    root.mkdir()
    shutil.copy(media.path("tone440.mp3"), root / "segment.mp3")
    return root


@pytest.mark.parametrize("host", SENTINEL_HOSTS)
async def test_a_redirect_of_an_hls_segment_is_checked(
    hls_root: Path,
    sentinels: dict[str, Sentinel],
    connect_trace: ConnectTrace,
    proxy: GuardedProxy,
    proxied_options: PipelineOptions,
    host: str,
) -> None:
    """The segment's own redirect comes back through the proxy, which refuses it (FFmpeg follows it: nested)."""
    with MediaServer(hls_root) as server:
        segment = server.redirect("segment.mp3", Redirect(to=sentinels[host].url("a.mp3")))
        _hls(hls_root, "#EXTINF:3,", segment)
        with contextlib.suppress(SourceError):
            await probe_audio(server.url("list.m3u8"), proxied_options)
        assert sum(1 for path, _ in server.agents if path == "/segment.mp3") >= 1, "the segment was never asked for"
    no_hop_reached(sentinels, connect_trace)
    assert proxy.refusals >= 1


async def test_hls_segment_and_key_urls_are_checked(
    hls_root: Path,
    sentinels: dict[str, Sentinel],
    connect_trace: ConnectTrace,
    proxy: GuardedProxy,
    proxied_options: PipelineOptions,
) -> None:
    """Segments and keys that name refused addresses, for ffprobe and for FFmpeg's playback, reach none."""
    proxied = SourceOpener(proxied_options)
    with MediaServer(hls_root) as server:
        targets = _segment_targets(sentinels)
        segment = server.url("segment.mp3")
        playlists: list[tuple[str, ...]] = [("#EXTINF:3,", target) for target in targets]
        playlists += [(f'#EXT-X-KEY:METHOD=AES-128,URI="{t}"', "#EXTINF:3,", segment) for t in targets]
        for lines in playlists:
            _hls(hls_root, *lines)
            with contextlib.suppress(SourceError):
                await probe_audio(server.url("list.m3u8"), proxied_options)
            request = TrackRequest(make_stream(server.url("list.m3u8"), ext="mp3"), "hls")
            with pytest.raises(SourceError):
                await proxied.open(request, PlaybackMode.TRANSCODE)
    no_hop_reached(sentinels, connect_trace)
    assert proxy.refusals >= len(playlists)


async def test_an_httpproxy_segment_is_not_opened(
    hls_root: Path, sentinels: dict[str, Sentinel], connect_trace: ConnectTrace, proxied_options: PipelineOptions
) -> None:
    """FFmpeg's `httpproxy` protocol would connect to the host a playlist names: it is not on the whitelist."""
    with MediaServer(hls_root) as server:
        _hls(hls_root, "#EXTINF:3,", f"httpproxy://127.0.0.2:{sentinels['127.0.0.2'].port}/x.mp3")
        with pytest.raises(SourceError):
            await probe_audio(server.url("list.m3u8"), proxied_options)
    no_hop_reached(sentinels, connect_trace)


async def test_a_good_hls_playlist_plays_through_the_proxy(
    hls_root: Path, sentinels: dict[str, Sentinel], connect_trace: ConnectTrace, proxied_options: PipelineOptions
) -> None:
    with MediaServer(hls_root) as server:
        _hls(hls_root, "#EXTINF:3,", "segment.mp3")
        probed = await probe_audio(server.url("list.m3u8"), proxied_options)
        assert probed.codec == "mp3"
        request = TrackRequest(make_stream(server.url("list.m3u8"), ext="mp3"), "hls")
        source = await SourceOpener(proxied_options).open(request, PlaybackMode.TRANSCODE)
        frames = await drain(source)
        await source.aclose()
        assert sum(1 for path, _ in server.agents if path == "/segment.mp3") >= 1
    assert len(frames) == pytest.approx(150, abs=5)
    assert proxied_options.http_proxy is not None
    proxy_port = int(proxied_options.http_proxy.rsplit(":", 1)[1])
    assert {port for _, port in connect_trace.connects()} == {proxy_port}, "FFmpeg connected past the proxy"
    no_hop_reached(sentinels, connect_trace)
