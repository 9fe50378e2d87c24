"""`HttpRangeReader`'s answers to servers that do not serve what was asked: a canned raw HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from worker.audio.errors import PassthroughUnavailableError, SourceError, SourceTimeoutError
from worker.audio.http_range import HttpRangeReader, RangeLimits

LIMITS = RangeLimits(connect_timeout_s=2.0, head_timeout_s=0.5, idle_timeout_s=0.5, max_head_bytes=1024)


@asynccontextmanager
async def _server(answer: bytes) -> AsyncIterator[tuple[str, list[bytes]]]:
    """Answers every request with `answer` (then keeps the connection open until the client closes it)."""
    heads: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        heads.append(await reader.readuntil(b"\r\n\r\n"))
        writer.write(answer)
        await writer.drain()
        await reader.read()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    async with server:
        port = server.sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}/a.webm", heads


def _reader(url: str, headers: tuple[tuple[str, str], ...] = ()) -> HttpRangeReader:
    return HttpRangeReader(url, headers, proxy=None, limits=LIMITS)


@pytest.mark.parametrize(
    ("answer", "offset", "error", "words"),
    [
        (
            b"HTTP/1.1 206 Partial\r\nContent-Range: bytes 0-9/100\r\nContent-Length: 10\r\n\r\n",
            50,
            SourceError,
            "another range",
        ),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", 50, SourceError, "HTTP 200"),
        (b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 0, SourceError, "HTTP 404"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0, PassthroughUnavailableError, "chunked"),
        (b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 2000 + b"\r\n\r\n", 0, SourceError, "too large"),
        (b"NOT HTTP\r\n\r\n", 0, SourceError, "status line"),
        (b"HTTP/1.1 200 OK\r\n", 0, SourceTimeoutError, "no response"),
        (
            b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.2/x\r\nContent-Length: 0\r\n\r\n",
            0,
            SourceError,
            "redirects",
        ),
    ],
    ids=["wrong-range", "ignores-range", "404", "chunked", "huge-head", "garbage", "slow-head", "redirect"],
)
async def test_an_answer_that_does_not_serve_the_range_is_refused(
    answer: bytes, offset: int, error: type[SourceError], words: str
) -> None:
    async with _server(answer) as (url, _):
        with pytest.raises(error, match=words):
            await _reader(url).open(offset)


async def test_the_request_asks_for_the_range_with_the_streams_headers() -> None:
    answer = b"HTTP/1.1 206 Partial\r\nContent-Range: bytes 7-9/10\r\nContent-Length: 3\r\n\r\nabc"
    async with _server(answer) as (url, heads):
        response = await _reader(url, (("User-Agent", "yt-dlp-agent"), ("Range", "bytes=0-1"))).open(7)
        response.close()
    lines = heads[0].decode().split("\r\n")
    assert lines[0] == "GET /a.webm HTTP/1.1"
    assert "Range: bytes=7-" in lines and "User-Agent: yt-dlp-agent" in lines
    assert "Range: bytes=0-1" not in lines, "a stream header cannot replace the range"


@pytest.mark.parametrize("header", [("X-A", "b\r\nHost: evil"), ("X:B", "c"), ("", "d")])
def test_a_header_that_would_split_the_request_is_refused(header: tuple[str, str]) -> None:
    with pytest.raises(SourceError, match="invalid HTTP header"):
        _reader("http://127.0.0.1:1/a.webm", (header,))


@pytest.mark.parametrize("url", ["http://example.com/a.webm", "https://127.0.0.1/a.webm", "http://10.0.0.8/a.webm"])
async def test_without_a_proxy_only_plain_http_to_loopback_is_opened(url: str) -> None:
    with pytest.raises(PassthroughUnavailableError, match="needs the guarded proxy"):
        await _reader(url).open(0)
