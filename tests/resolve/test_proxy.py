"""The guarded proxy FFmpeg opens URLs through (worker/resolve/proxy.py), spoken to over raw sockets.

Refused targets are sentinels (accept count must stay 0) or outside addresses (tests/netguard.py fails any
connect to them); names resolve through `fake_dns`, so a name that points at a refused address shows that the proxy
connects only to the address it checked.
"""

from __future__ import annotations

import asyncio
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.audio.connect_trace import ConnectTrace
from tests.audio.hop_watch import no_hop_reached
from tests.audio.sentinel import PRIVATE_TARGETS, Sentinel
from tests.media.hostile import Redirect
from tests.media.server import MediaServer
from tests.resolve.test_hops import TONE
from worker.audio.ffmpeg_args import PROXY_TLS_SUFFIX, PipelineOptions, proxy_form
from worker.audio.probe import probe_audio
from worker.resolve.guard import UrlGuard
from worker.resolve.probe import probe
from worker.resolve.proxy import GuardedProxy, ProxyLimits


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


async def ask(proxy: GuardedProxy, raw: bytes) -> Answer:
    """Send `raw` to the proxy and read its whole answer (it closes every connection after one response)."""
    port = int(proxy.url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(raw)
        await writer.drain()
        async with asyncio.timeout(15):
            data = await reader.read(-1)
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return Answer(int(lines[0].split(" ")[1]), headers, body)


def get(url: str, *extra: str, close: bool = True) -> bytes:
    lines = [f"GET {url} HTTP/1.1", "User-Agent: Lavf/59", *extra, *(["Connection: close"] if close else [])]
    return "\r\n".join([*lines, "", ""]).encode()


async def test_a_plain_request_is_forwarded_and_streamed(proxy: GuardedProxy, hop_server: MediaServer) -> None:
    answer = await ask(proxy, get(hop_server.url(TONE), "Range: bytes=0-99"))
    assert answer.status == 206
    assert len(answer.body) == 100
    assert "connection" not in answer.headers, "FFmpeg takes a response that closes as not seekable"
    assert ("/" + TONE, "bytes=0-99") in hop_server.requests


async def test_requests_follow_one_another_on_a_kept_connection(proxy: GuardedProxy, hop_server: MediaServer) -> None:
    """As FFmpeg's HLS demuxer sends them; each is checked and goes to its own upstream connection."""
    port = int(proxy.url.rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for last in (False, True):
            writer.write(get(hop_server.url(TONE), "Range: bytes=0-9", close=last))
            await writer.drain()
            async with asyncio.timeout(10):
                head = await reader.readuntil(b"\r\n\r\n")
                assert head.startswith(b"HTTP/1.0 206") or head.startswith(b"HTTP/1.1 206")
                assert len(await reader.readexactly(10)) == 10
        async with asyncio.timeout(10):
            assert await reader.read(-1) == b""  # closed after the request that asked for it
    finally:
        writer.close()
    assert hop_server.requests.count(("/" + TONE, "bytes=0-9")) == 2


async def test_connect_is_refused(proxy: GuardedProxy, sentinels: dict[str, Sentinel]) -> None:
    for sentinel in sentinels.values():
        host = f"[{sentinel.host}]" if ":" in sentinel.host else sentinel.host
        answer = await ask(proxy, f"CONNECT {host}:{sentinel.port} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert answer.status == 405
    answer = await ask(proxy, b"CONNECT 127.0.0.1:443 HTTP/1.1\r\n\r\n")
    assert answer.status == 405
    no_hop_reached(sentinels)


async def test_a_body_that_ends_short_closes_the_kept_connection(proxy: GuardedProxy) -> None:
    """FFmpeg must see the end (and reconnect with a range), not wait on a connection kept for a next request."""

    async def short(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(short, "127.0.0.1", 0)
    try:
        port = server.sockets[0].getsockname()[1]
        answer = await ask(proxy, get(f"http://127.0.0.1:{port}/a.mp3", close=False))
        assert (answer.status, answer.body) == (200, b"x" * 10)
    finally:
        server.close()


@pytest.mark.parametrize("nth", [1, 2])
async def test_a_redirect_is_passed_back_not_followed(
    proxy: GuardedProxy, hop_server: MediaServer, sentinels: dict[str, Sentinel], nth: int
) -> None:
    target = sentinels["127.0.0.2"].url()
    url = hop_server.redirect(TONE, Redirect(to=target, nth=nth))
    for _ in range(nth - 1):
        assert (await ask(proxy, get(url))).status == 200
    answer = await ask(proxy, get(url))
    assert (answer.status, answer.headers["location"]) == (302, target)
    assert (await ask(proxy, get(target))).status == 403  # FFmpeg's next request: checked, refused
    assert proxy.refusals == 1
    no_hop_reached(sentinels)


async def test_an_https_redirect_comes_back_in_proxy_form(proxy: GuardedProxy, hop_server: MediaServer) -> None:
    url = hop_server.redirect(TONE, Redirect(to="https://cdn.example.org:8443/a.mp3?sig=1"))
    answer = await ask(proxy, get(url))
    assert answer.headers["location"] == f"http://cdn.example.org{PROXY_TLS_SUFFIX}:8443/a.mp3?sig=1"


@pytest.mark.parametrize("address", ["127.0.0.2", "::1", "10.0.0.8", "192.168.1.1", "fd00::1", "169.254.169.254"])
async def test_a_name_that_resolves_to_a_refused_address_is_never_connected_to(
    proxy: GuardedProxy, sentinels: dict[str, Sentinel], fake_dns: dict[str, str], address: str
) -> None:
    fake_dns["cdn.hops.test"] = address
    port = sentinels[address].port if address in sentinels else 80
    for url in (f"http://cdn.hops.test:{port}/a.mp3", f"http://cdn.hops.test{PROXY_TLS_SUFFIX}:{port}/a.mp3"):
        answer = await ask(proxy, get(url))
        assert answer.status == 403
        assert b"URL guard" in answer.body
    no_hop_reached(sentinels)


async def test_the_proxy_connects_to_the_address_it_checked(
    proxy: GuardedProxy, hop_server: MediaServer, fake_dns: dict[str, str]
) -> None:
    """FFmpeg names the host; only the proxy resolves it (to the allowed 127.0.0.1 here) and connects there."""
    fake_dns["cdn.hops.test"] = "127.0.0.1"
    port = hop_server.base.rsplit(":", 1)[1]
    answer = await ask(proxy, get(f"http://cdn.hops.test:{port}/{TONE}"))
    assert answer.status == 200
    assert answer.body.startswith((b"ID3", b"\xff"))


@pytest.mark.parametrize("target", PRIVATE_TARGETS)
async def test_outside_targets_are_refused_before_connecting(
    proxy: GuardedProxy, sentinels: dict[str, Sentinel], target: str
) -> None:
    answer = await ask(proxy, get(target))
    assert answer.status == 403
    no_hop_reached(sentinels)


async def test_the_proxy_refuses_itself(proxy: GuardedProxy) -> None:
    assert (await ask(proxy, get(f"{proxy.url}/x"))).status == 403


async def test_bad_requests_get_clear_answers(proxy: GuardedProxy) -> None:
    assert (await ask(proxy, get("/relative"))).status == 400
    assert (await ask(proxy, get("ftp://127.0.0.1/x"))).status == 400
    assert (await ask(proxy, get("http://user@127.0.0.1/x"))).status == 400
    assert (await ask(proxy, b"POST http://127.0.0.1/x HTTP/1.1\r\n\r\n")).status == 405
    assert (await ask(proxy, b"nonsense\r\n\r\n")).status == 400
    huge = get("http://127.0.0.1/x", "X-Pad: " + "a" * (proxy.limits.max_head_bytes + 10))
    assert (await ask(proxy, huge)).status == 431


async def test_connections_beyond_the_limit_get_503(hop_server: MediaServer) -> None:
    async with GuardedProxy(UrlGuard(("127.0.0.1",)), ProxyLimits(max_connections=2)) as small:
        port = int(small.url.rsplit(":", 1)[1])
        held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(2)]
        await asyncio.sleep(0.1)
        assert (await ask(small, get(hop_server.url(TONE)))).status == 503
        for _, writer in held:
            writer.close()


async def test_an_idle_connection_is_closed(hop_server: MediaServer) -> None:
    async with GuardedProxy(UrlGuard(("127.0.0.1",)), ProxyLimits(head_timeout_s=0.2)) as quick:
        port = int(quick.url.rsplit(":", 1)[1])
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET ")
        async with asyncio.timeout(10):
            answer = await reader.read(-1)
        writer.close()
        assert answer.startswith(b"HTTP/1.1 400")


# https: FFmpeg speaks plain http to the proxy, which speaks TLS to the server


@dataclass(frozen=True, slots=True)
class ThrowawayCa:
    server: ssl.SSLContext
    client: ssl.SSLContext


@pytest.fixture(scope="module")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> ThrowawayCa:
    """A throwaway self-signed certificate for 127.0.0.1, trusted only by the proxy under test."""
    root = tmp_path_factory.mktemp("tls")
    key, cert = root / "key.pem", root / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert, key)
    return ThrowawayCa(server=server, client=ssl.create_default_context(cafile=str(cert)))


@pytest.fixture
def tls_server(media_server: MediaServer, test_ca: ThrowawayCa) -> Iterator[MediaServer]:
    with MediaServer(media_server.root, tls=test_ca.server) as server:
        yield server


@pytest.fixture
async def tls_proxy(test_ca: ThrowawayCa) -> AsyncIterator[GuardedProxy]:
    async with GuardedProxy(UrlGuard(("127.0.0.1",)), tls=test_ca.client) as running:
        yield running


async def test_an_https_stream_is_fetched_over_tls_by_the_proxy(
    tls_proxy: GuardedProxy, tls_server: MediaServer, connect_trace: ConnectTrace
) -> None:
    probed = await probe(tls_server.url(TONE), http_proxy=tls_proxy.url)
    assert probed.read
    assert probed.title == "Test Tone 2 (330 Hz, mp3)"
    port = int(tls_proxy.url.rsplit(":", 1)[1])
    assert {p for _, p in connect_trace.connects()} == {port}, "ffprobe connected past the proxy"


async def test_an_https_server_with_an_untrusted_certificate_is_not_read(
    proxy: GuardedProxy, tls_server: MediaServer
) -> None:
    answer = await ask(proxy, get(proxy_form(tls_server.url(TONE))))
    assert answer.status == 502


async def test_an_https_hls_playlist_with_absolute_https_segments_plays(
    tls_proxy: GuardedProxy,
    media_server: MediaServer,
    test_ca: ThrowawayCa,
    tmp_path: Path,
    sentinels: dict[str, Sentinel],
    connect_trace: ConnectTrace,
) -> None:
    """The proxy rewrites the playlist's https URIs to their proxy form: the segments come back through it."""
    shutil.copy(media_server.root / TONE, tmp_path / "segment.mp3")
    with MediaServer(tmp_path, tls=test_ca.server) as server:
        lines = ["#EXTM3U", "#EXT-X-TARGETDURATION:3", "#EXTINF:3,", server.url("segment.mp3"), "#EXT-X-ENDLIST"]
        (tmp_path / "list.m3u8").write_text("\n".join(lines) + "\n")
        options = PipelineOptions(http_proxy=tls_proxy.url)
        probed = await probe_audio(server.url("list.m3u8"), options)
        assert probed.codec == "mp3"
        assert any(path == "/segment.mp3" for path, _ in server.agents)
    no_hop_reached(sentinels, connect_trace)


# the resolver's ffprobe of direct links (worker/resolve/probe.py) goes through the proxy too


@pytest.mark.parametrize("nth", [1, 2])
async def test_the_tag_probe_of_a_link_serving_a_playlist_reaches_no_hop(
    proxy: GuardedProxy,
    media_server: MediaServer,
    tmp_path: Path,
    sentinels: dict[str, Sentinel],
    connect_trace: ConnectTrace,
    nth: int,
) -> None:
    """nth=1: the segment URL names a sentinel; nth=2: the segment is served once, then redirected to one."""
    shutil.copy(media_server.root / TONE, tmp_path / "segment.mp3")
    with MediaServer(tmp_path) as server:
        for sentinel in sentinels.values():
            if nth == 1:
                segment = sentinel.url("a.mp3")
            else:
                segment = server.redirect("segment.mp3", Redirect(to=sentinel.url("a.mp3"), nth=nth))
                await probe(server.url("segment.mp3"), http_proxy=proxy.url)
            lines = ["#EXTM3U", "#EXT-X-TARGETDURATION:3", "#EXTINF:3,", segment, "#EXT-X-ENDLIST"]
            (tmp_path / "list.m3u8").write_text("\n".join(lines) + "\n")
            assert not (await probe(server.url("list.m3u8"), http_proxy=proxy.url)).read
    no_hop_reached(sentinels, connect_trace)
    assert proxy.refusals == len(sentinels)
