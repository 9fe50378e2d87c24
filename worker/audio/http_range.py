"""HTTP/1.1 Range requests read inside the event loop: the network half of the in-process passthrough.

One `HttpRangeReader` per track opens `GET url` with `Range: bytes=N-` and hands the body, as it arrives, to a
`BodySink` (the demuxer's feeder) from the connection's own callbacks: no task and no thread per stream, and reading
pauses at the transport (TCP back-pressure) while the consumer holds enough.

Policy:
- Through the worker's guarded proxy when one is configured (`PipelineOptions.http_proxy`), exactly like FFmpeg:
  every request is a plain-http proxy request in the URL's proxy form (`proxy_form`), so the proxy resolves, checks
  and connects to a checked address, and speaks TLS for https. A redirect comes back unfollowed; the reader follows
  at most `max_redirects`, each through the proxy again (a refused hop is a 403: the open fails).
- Without a proxy (tests with `allow_file`) only plain http to a loopback IP literal is opened directly, and no
  redirect is followed (FFmpeg's `-max_redirects 0`); anything else is `PassthroughUnavailableError` (FFmpeg plays it).
- A 206 must start at the offset asked for (Content-Range); a 200 is taken for offset 0 only. A chunked response
  is left to FFmpeg. The response head is bounded (`max_head_bytes`); connect, head and idle (no byte while
  reading) each time out after the stream timeout (`SourceTimeoutError`).
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from dataclasses import dataclass
from typing import Final, Protocol, override
from urllib.parse import urljoin, urlsplit

from worker.audio.errors import PassthroughUnavailableError, SourceError, SourceTimeoutError
from worker.audio.ffmpeg_args import proxy_form, redact_url

_REDIRECTS: Final = frozenset({301, 302, 303, 307, 308})
_CONTENT_RANGE: Final = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")
_HEAD_END: Final = b"\r\n\r\n"


@dataclass(frozen=True, slots=True)
class RangeLimits:
    connect_timeout_s: float = 10.0
    head_timeout_s: float = 10.0
    idle_timeout_s: float = 10.0
    """A connection that is read from (not paused) and brings no byte this long is dropped."""
    max_head_bytes: int = 16 * 1024
    max_redirects: int = 3
    receive_buffer_bytes: int = 32 * 1024
    """The socket's receive buffer: while reading is paused it is the only read-ahead beyond the frame buffer, and
    one read takes at most this much (the event loop reads up to 256 KiB, 16 s of 128 kbit/s audio, at once)."""


class BodySink(Protocol):
    """Where a response body goes; both calls come from the connection's callbacks and must not block."""

    def body_received(self, data: bytes) -> None: ...

    def body_ended(self, error: SourceError | None) -> None:
        """The body is complete (None) or broke off (a dropped connection, a stall)."""


@dataclass(frozen=True, slots=True)
class _Head:
    status: int
    headers: dict[str, str]


class RangeResponse:
    """An open response whose body flows to the sink given to `attach`; `pause`/`resume` apply back-pressure."""

    def __init__(self, connection: _Connection, offset: int, length: int | None) -> None:
        self._connection = connection
        self.offset = offset
        self.length = length
        """Body bytes promised (Content-Length), None if the body ends when the server closes."""

    def attach(self, sink: BodySink) -> None:
        self._connection.attach(sink)

    def pause(self) -> None:
        self._connection.pause()

    def resume(self) -> None:
        self._connection.resume()

    def close(self) -> None:
        """Drop the connection; the sink hears nothing more."""
        self._connection.close()


class HttpRangeReader:
    """Opens one URL at byte offsets (see the module docstring for the policy)."""

    def __init__(
        self, url: str, headers: tuple[tuple[str, str], ...], *, proxy: str | None, limits: RangeLimits
    ) -> None:
        self.url = url
        self._label = redact_url(url)
        self._headers = _checked_headers(headers)
        self._proxy = _proxy_address(proxy) if proxy is not None else None
        self.limits = limits
        self.requests = 0

    async def open(self, offset: int) -> RangeResponse:
        """GET from `offset`, following redirects per the policy; `SourceError` if the server will not serve it."""
        url = self.url
        hops = self.limits.max_redirects if self._proxy is not None else 0
        for _ in range(hops + 1):
            connection = await self._request(url, offset)
            try:
                head = await connection.wait_head()
                location = head.headers.get("location") if head.status in _REDIRECTS else None
                if location is None:
                    return RangeResponse(connection, offset, _body_length(head, offset, self._label))
            except BaseException:
                connection.close()
                raise
            connection.close()
            url = urljoin(url, location)
        raise SourceError(f"{self._label} redirects more than {hops} times (none is followed without the proxy)")

    async def _request(self, url: str, offset: int) -> _Connection:
        host, port, target = self._route(url)
        loop = asyncio.get_running_loop()
        self.requests += 1
        try:
            async with asyncio.timeout(self.limits.connect_timeout_s):
                sock = await _connected_socket(host, port, self.limits.receive_buffer_bytes)
                _, connection = await loop.create_connection(lambda: _Connection(self.limits), sock=sock)
        except TimeoutError:
            timeout_s = self.limits.connect_timeout_s
            raise SourceTimeoutError(f"cannot connect for {self._label} within {timeout_s:g} s") from None
        except OSError as exc:
            raise SourceError(f"cannot connect for {self._label}: {exc.strerror or exc}") from None
        parts = urlsplit(url)
        lines = [f"GET {target} HTTP/1.1", f"Host: {parts.netloc.rpartition('@')[2]}", f"Range: bytes={offset}-"]
        lines += [f"{name}: {value}" for name, value in self._headers]
        lines += ["Accept-Encoding: identity", "Connection: close", "", ""]
        connection.send("\r\n".join(lines).encode("latin-1"))
        return connection

    def _route(self, url: str) -> tuple[str, int, str]:
        """(host, port, request target): the proxy and the absolute proxy form, or a loopback server directly."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise SourceError(f"cannot fetch {redact_url(url)}")
        if self._proxy is not None:
            return *self._proxy, proxy_form(url)
        if parts.scheme.lower() != "http" or not _is_loopback(parts.hostname):
            raise PassthroughUnavailableError(f"{redact_url(url)} needs the guarded proxy")
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return parts.hostname, parts.port or 80, path


class _Connection(asyncio.Protocol):
    """One request's connection: parses the response head, then passes body bytes on, bounded by Content-Length."""

    def __init__(self, limits: RangeLimits) -> None:
        self._limits = limits
        self._loop = asyncio.get_running_loop()
        self._head: asyncio.Future[_Head] = self._loop.create_future()
        self._buf = bytearray()
        self._pending = bytearray()
        self._left: int | None = None
        self._sink: BodySink | None = None
        self._transport: asyncio.Transport | None = None
        self._ended: tuple[SourceError | None] | None = None
        self._closed = False
        self._paused = False
        self._last = self._loop.time()
        self._timer: asyncio.TimerHandle | None = None

    def send(self, data: bytes) -> None:
        if self._transport is not None:
            self._transport.write(data)

    async def wait_head(self) -> _Head:
        try:
            async with asyncio.timeout(self._limits.head_timeout_s):
                head = await asyncio.shield(self._head)
        except TimeoutError:
            raise SourceTimeoutError(f"no response within {self._limits.head_timeout_s:g} s") from None
        return head

    def attach(self, sink: BodySink) -> None:
        self._sink = sink
        if self._pending:
            data = bytes(self._pending)
            self._pending.clear()
            sink.body_received(data)
        if self._ended is not None and not self._closed:
            sink.body_ended(self._ended[0])

    def pause(self) -> None:
        if self._transport is not None and not self._paused:
            self._transport.pause_reading()
            self._paused = True

    def resume(self) -> None:
        if self._transport is not None and self._paused and not self._transport.is_closing():
            self._transport.resume_reading()
        self._paused = False
        self._last = self._loop.time()

    def close(self) -> None:
        self._closed = True
        self._cancel_timer()
        if self._transport is not None:
            self._transport.abort()
        if not self._head.done():
            self._head.cancel()

    @override
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._timer = self._loop.call_later(self._limits.idle_timeout_s / 4, self._watch)

    @override
    def data_received(self, data: bytes) -> None:
        self._last = self._loop.time()
        if self._head.done():
            self._take_body(data)
            return
        self._buf += data
        end = self._buf.find(_HEAD_END)
        if (end if end >= 0 else len(self._buf)) > self._limits.max_head_bytes:
            self._head.set_exception(SourceError("the response head is too large"))
            self._abort()
            return
        if end < 0:
            return
        try:
            head = _parse_head(bytes(self._buf[:end]))
        except SourceError as exc:
            self._head.set_exception(exc)
            self._abort()
            return
        length = head.headers.get("content-length")
        self._left = int(length) if length is not None and length.isdigit() else None
        self._head.set_result(head)
        body = bytes(self._buf[end + len(_HEAD_END) :])
        self._buf.clear()
        self._take_body(body)

    @override
    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timer()
        if not self._head.done():
            self._head.set_exception(SourceError("the connection closed before a response came"))
        elif self._left is None and exc is None and self._ended is None:
            self._end(None)  # a body delimited by the close
        elif self._ended is None:
            self._end(SourceError(f"the connection dropped ({exc or 'closed'}) before the body ended"))

    def _take_body(self, data: bytes) -> None:
        if self._ended is not None:
            return
        if self._left is not None:
            data = data[: self._left]
            self._left -= len(data)
        if self._sink is None:
            self._pending += data
        elif data and not self._closed:
            self._sink.body_received(data)
        if self._left == 0:
            self._end(None)

    def _end(self, error: SourceError | None) -> None:
        self._ended = (error,)
        self._cancel_timer()
        if self._transport is not None and not self._transport.is_closing():
            self._transport.close()
        if self._sink is not None and not self._closed:
            self._sink.body_ended(error)

    def _watch(self) -> None:
        """The idle check, a few times per timeout: cheaper than re-arming a timer on every chunk."""
        now = self._loop.time()
        if self._paused or not self._head.done():
            self._last = now if self._paused else self._last
        elif now - self._last >= self._limits.idle_timeout_s:
            self._end(SourceTimeoutError(f"no data for {self._limits.idle_timeout_s:g} s"))
            self._abort()
            return
        self._timer = self._loop.call_later(self._limits.idle_timeout_s / 4, self._watch)

    def _abort(self) -> None:
        self._cancel_timer()
        if self._transport is not None:
            self._transport.abort()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None


def _parse_head(raw: bytes) -> _Head:
    lines = raw.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise SourceError("a malformed status line")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise SourceError("a malformed response header")
        headers[name.lower()] = value.strip()
    return _Head(int(parts[1]), headers)


def _body_length(head: _Head, offset: int, label: str) -> int | None:
    """The body's length once the answer is known to serve `offset`; `SourceError` otherwise."""
    if head.status == 206:
        found = _CONTENT_RANGE.fullmatch(head.headers.get("content-range", ""))
        if found is None or int(found.group(1)) != offset:
            raise SourceError(f"{label} answered a range request from {offset} with another range")
    elif head.status != 200 or offset:
        raise SourceError(f"{label} answered HTTP {head.status} to a range request from {offset}")
    if "chunked" in head.headers.get("transfer-encoding", "").lower():
        raise PassthroughUnavailableError(f"{label} sends a chunked body")
    length = head.headers.get("content-length")
    if length is not None and not length.isdigit():
        raise SourceError(f"{label} sent a malformed Content-Length")
    return int(length) if length is not None else None


def _checked_headers(headers: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    reserved = {"host", "range", "connection", "accept-encoding", "content-length", "transfer-encoding"}
    for name, value in headers:
        if any(c in name + value for c in "\r\n\0") or ":" in name or not name:
            raise SourceError(f"invalid HTTP header {name[:40]!r}")
    return tuple((name, value) for name, value in headers if name.lower() not in reserved)


async def _connected_socket(host: str, port: int, receive_buffer: int) -> socket.socket:
    """A TCP socket connected to the IP literal `host`, its receive buffer set before the connect (so the window
    the server may fill while reading is paused is that small from the start)."""
    family = socket.AF_INET6 if ipaddress.ip_address(host).version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        if receive_buffer:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        await asyncio.get_running_loop().sock_connect(sock, (host, port))
    except BaseException:
        sock.close()
        raise
    return sock


def _proxy_address(proxy: str) -> tuple[str, int]:
    """The proxy's address; it is the worker's own, on an IP literal (anything else is left to FFmpeg)."""
    parts = urlsplit(proxy)
    if parts.scheme != "http" or not parts.hostname:
        raise SourceError(f"the proxy must be an http URL: {redact_url(proxy)}")
    try:
        ipaddress.ip_address(parts.hostname)
    except ValueError:
        raise PassthroughUnavailableError(f"the proxy {redact_url(proxy)} is not an IP address") from None
    return parts.hostname, parts.port or 80


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
