"""The guarded HTTP forward proxy that every FFmpeg and ffprobe of the worker opens its URLs through.

FFmpeg's own opens cannot all be checked from outside: an HLS or DASH manifest makes its demuxer open segment and
key URLs nobody saw, those nested opens do not inherit `-max_redirects 0`, and FFmpeg looks names up itself (a name
may answer differently at the guard's check and at FFmpeg's connect). So FFmpeg gets `-http_proxy` (and the
`http_proxy` variable, which its http code falls back to) pointing here, and may speak nothing but plain http
(worker/audio/ffmpeg_args.py). Every request it makes, nested or not, redirected or not, arrives here, and the proxy:

- resolves the request's host itself, checks every address with the URL guard (the resolver's guard and allow-list,
  worker/resolve/guard.py) and connects to exactly a checked address: no second lookup, no rebinding window;
- speaks TLS to the server (certificates verified) for https URLs, which FFmpeg hands over in their proxy form
  (host + `PROXY_TLS_SUFFIX`, scheme http). FFmpeg's own https-through-a-proxy would need its `httpproxy`
  protocol, and a playlist naming `httpproxy://10.0.0.8:80/x.ts` would then connect anywhere, so CONNECT is refused;
- forwards GET and HEAD, each request on a new upstream connection (`Connection: close` there), several requests
  on one FFmpeg connection while each response's length is known (FFmpeg takes a response that closes the
  connection as not seekable);
- passes redirects back without following them: each redirected request FFmpeg makes comes back through here and is
  checked like the first (an https `Location` is put in its proxy form, as are the absolute https URIs of an HLS
  playlist, so they stay on this path; anything still naming https fails closed in FFmpeg);
- answers a refused request with 403 (logged at warning with the guard's reason); FFmpeg fails the open and the
  track fails like any unreadable source (SourceError → the track ends as failed).

Every network input goes through it, not only manifests: which demuxer FFmpeg picks depends on what the server sends
(a `.mp3` link may serve a playlist), so yt-dlp's protocol field cannot decide it, and the cost is small:
`bench/proxy_cost.py` measures the proxy's CPU per stream (figures in docs/design.md, "URL guard").

Bounded: request and response heads (`max_head_bytes`), connect, head and idle timeouts, concurrent connections
(`max_connections`, then 503), rewritten playlists (`_MAX_PLAYLIST_BYTES`); bodies are streamed with back-pressure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import ssl
from dataclasses import dataclass
from typing import Final
from urllib.parse import SplitResult, urlsplit

from worker.audio.errors import SourceError
from worker.audio.ffmpeg_args import PROXY_TLS_SUFFIX, proxy_form, redact_url
from worker.resolve.guard import UrlGuard

_log: Final = logging.getLogger(__name__)

_CHUNK: Final = 64 * 1024
_HOP_BY_HOP: Final = frozenset(
    {"connection", "keep-alive", "proxy-connection", "proxy-authorization", "te", "trailer", "upgrade", "host"}
)
_REQUEST_ONLY: Final = frozenset({"content-length", "transfer-encoding", "expect", "accept-encoding"})
"""Also dropped from requests: only GET and HEAD without a body are proxied, and bodies come uncompressed (audio
gains nothing from it, and a playlist must be readable to be rewritten)."""
_NO_BODY: Final = frozenset({204, 304})
_STOP_WAIT_S: Final = 2.0
_DEFAULT_PORT: Final = {"http": 80, "https": 443}
_MAX_PLAYLIST_BYTES: Final = 2 * 1024 * 1024
"""HLS playlists up to this size (with a Content-Length) are rewritten; larger ones are streamed as they are."""
_PLAYLIST_TYPES: Final = ("mpegurl", "m3u")
_URI_ATTRIBUTE: Final = re.compile(r'URI="(https://[^"]*)"', re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ProxyLimits:
    max_head_bytes: int = 16 * 1024
    """Largest request or response head (request line or status line plus headers)."""
    head_timeout_s: float = 10.0
    """How long a client may take to send its request head, and a server its response head."""
    connect_timeout_s: float = 5.0
    idle_timeout_s: float = 60.0
    """A connection that moves no byte this long is closed (a paused track's FFmpeg reconnects when it reads on)."""
    max_connections: int = 2048


class _RefusedError(Exception):
    """The request gets `status` and no upstream connection."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class _IdleError(Exception):
    """A kept-alive connection closed or went quiet before its next request."""


@dataclass(frozen=True, slots=True)
class _Head:
    start: str
    headers: list[tuple[str, str]]

    def get(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name), None)


class GuardedProxy:
    """An HTTP forward proxy on 127.0.0.1 (an ephemeral port) that connects only to addresses the guard allows."""

    def __init__(
        self, guard: UrlGuard, limits: ProxyLimits | None = None, *, tls: ssl.SSLContext | None = None
    ) -> None:
        self._guard = guard
        self.limits = limits or ProxyLimits()
        self._tls = tls or ssl.create_default_context()
        """Verifies the servers of https URLs (the system's CAs unless a test brings its own)."""
        self._server: asyncio.Server | None = None
        self._port = 0
        self._clients: set[asyncio.StreamWriter] = set()
        self.refusals = 0
        """Requests refused by the guard since start (for tests and metrics)."""

    @property
    def url(self) -> str:
        """What FFmpeg's `-http_proxy` gets."""
        if self._server is None:
            raise RuntimeError("the proxy is not started")
        return f"http://127.0.0.1:{self._port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, limit=self.limits.max_head_bytes)
        self._port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop listening and drop every proxied connection (FFmpeg sees them close)."""
        if self._server is None:
            return
        self._server.close()
        for writer in list(self._clients):
            writer.transport.abort()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(_STOP_WAIT_S):
                await self._server.wait_closed()
        self._server = None

    async def __aenter__(self) -> GuardedProxy:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Requests one after another on a connection (FFmpeg's HLS reuses one) while each response's end is known."""
        self._clients.add(writer)
        try:
            keep, waiting = True, False
            while keep:
                timeout_s = self.limits.idle_timeout_s if waiting else self.limits.head_timeout_s
                head = await _read_head(reader, timeout_s, "request", waiting=waiting)
                if len(self._clients) > self.limits.max_connections:  # the head was read: the 503 is not lost
                    raise _RefusedError(503, "too many proxied connections")
                served = await self._dispatch(head, writer)
                keep, waiting = served and (head.get("connection") or "").lower() != "close", True
        except _RefusedError as rejected:
            await _reply(writer, rejected.status, rejected.reason)
        except (_IdleError, OSError, TimeoutError, asyncio.IncompleteReadError):
            pass
        finally:
            self._clients.discard(writer)
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def _dispatch(self, head: _Head, writer: asyncio.StreamWriter) -> bool:
        """Serve one request; whether the connection can take another."""
        method, target, _ = _request_line(head.start)
        if method not in ("GET", "HEAD"):
            # CONNECT included: FFmpeg never tunnels here (it has no `httpproxy` protocol), and nothing else may
            raise _RefusedError(405, f"{method[:16]} is not proxied")
        origin = _origin(target)
        upstream = await self._open(origin)
        try:
            return await self._exchange(method, origin, head, upstream, writer)
        finally:
            upstream[1].close()

    async def _open(self, origin: SplitResult) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """A connection to a checked address of the origin's host; `_RefusedError` (403) if the guard refuses."""
        url = origin.geturl()
        verdict, addresses = await self._guard.resolve_checked(url)
        reason = str(verdict)
        port = (origin.port or _DEFAULT_PORT[origin.scheme]) if verdict.allowed else 0
        if port == self._port and "127.0.0.1" in addresses:
            reason, addresses = "that is the proxy itself", ()
        if not addresses:
            self.refusals += 1
            _log.warning("the FFmpeg proxy refused %s: %s", redact_url(url)[:300], reason)
            raise _RefusedError(403, "Refused by the URL guard")
        tls = self._tls if origin.scheme == "https" else None
        for address in addresses:
            with contextlib.suppress(OSError, TimeoutError):
                async with asyncio.timeout(self.limits.connect_timeout_s):
                    return await asyncio.open_connection(
                        address, port, ssl=tls, server_hostname=origin.hostname if tls else None,
                        limit=self.limits.max_head_bytes,
                    )  # fmt: skip
        raise _RefusedError(502, "the server could not be reached")

    async def _exchange(
        self,
        method: str,
        origin: SplitResult,
        head: _Head,
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter],
        writer: asyncio.StreamWriter,
    ) -> bool:
        """One request upstream (`Connection: close`) and its response back, the body streamed; whether the client's
        connection can go on (the body had a known length). `Connection: close` goes to FFmpeg only when the proxy
        must close to end the body: FFmpeg takes such a response as not seekable and would read up to a seek point."""
        up_reader, up_writer = upstream
        path = (origin.path or "/") + (f"?{origin.query}" if origin.query else "")
        lines = [f"{method} {path} HTTP/1.1", f"Host: {origin.netloc}"]
        lines += [f"{k}: {v}" for k, v in head.headers if k.lower() not in _HOP_BY_HOP | _REQUEST_ONLY]
        up_writer.write("\r\n".join([*lines, "Connection: close", "", ""]).encode("latin-1"))
        await up_writer.drain()
        try:
            response = await _read_head(up_reader, self.limits.head_timeout_s, "response")
        except _RefusedError as rejected:
            raise _RefusedError(502, rejected.reason) from None
        length = _body_length(method, _status(response.start), response)
        headers = [(k, _proxied_location(v) if k.lower() == "location" else v) for k, v in response.headers]
        headers = [(k, v) for k, v in headers if k.lower() not in _HOP_BY_HOP]
        if length is not None and 0 < length <= _MAX_PLAYLIST_BYTES and _is_playlist(origin, response):
            async with asyncio.timeout(self.limits.idle_timeout_s):
                body = _rewrite_playlist(await up_reader.readexactly(length))
            headers = [(k, str(len(body)) if k.lower() == "content-length" else v) for k, v in headers]
            writer.write(_head_bytes(response.start, headers, close=False) + body)
            await writer.drain()
            return True
        writer.write(_head_bytes(response.start, headers, close=length is None))
        if length == 0:
            await writer.drain()
            return True
        complete = await _copy(up_reader, writer, length, self.limits.idle_timeout_s)
        return complete and length is not None


async def _copy(source: asyncio.StreamReader, sink: asyncio.StreamWriter, length: int | None, idle_s: float) -> bool:
    """Stream `length` bytes (None: until EOF) with back-pressure; False if the source ended short.

    TimeoutError when a read or a drain makes no progress for `idle_s` (a server gone quiet, or an FFmpeg that
    stopped reading for that long: a paused track, which reconnects with a range request when it reads on).
    """
    left = length
    while left is None or left > 0:
        async with asyncio.timeout(idle_s):
            data = await source.read(_CHUNK if left is None else min(_CHUNK, left))
        if not data:
            return left is None
        sink.write(data)
        async with asyncio.timeout(idle_s):
            await sink.drain()
        if left is not None:
            left -= len(data)
    return True


async def _read_head(reader: asyncio.StreamReader, timeout_s: float, what: str, *, waiting: bool = False) -> _Head:
    """`waiting`: on a kept-alive connection, where a close or a silence before the next request just ends it."""
    try:
        async with asyncio.timeout(timeout_s):
            raw = await reader.readuntil(b"\r\n\r\n")
    except asyncio.LimitOverrunError:
        raise _RefusedError(431, f"the {what} head is too large") from None
    except asyncio.IncompleteReadError as eof:
        if waiting and not eof.partial:
            raise _IdleError from None
        raise _RefusedError(400, f"no complete {what} head") from None
    except TimeoutError:
        if waiting:
            raise _IdleError from None
        raise _RefusedError(400, f"no complete {what} head") from None
    lines = raw.decode("latin-1").split("\r\n")[:-2]
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip() or any(c in line for c in "\r\n\x00"):
            raise _RefusedError(400, f"a malformed {what} header")
        headers.append((name, value.strip()))
    return _Head(lines[0], headers)


def _request_line(line: str) -> tuple[str, str, str]:
    parts = line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise _RefusedError(400, "a malformed request line")
    return parts[0], parts[1], parts[2]


def _status(line: str) -> int:
    parts = line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise _RefusedError(502, "a malformed status line")
    return int(parts[1])


def _body_length(method: str, status: int, response: _Head) -> int | None:
    """Bytes of body to relay: 0, a Content-Length, or None for "until the server closes"."""
    if method == "HEAD" or status in _NO_BODY or 100 <= status < 200:
        return 0
    length = response.get("content-length")
    if response.get("transfer-encoding") is not None or length is None:
        return None
    if not length.isdigit():
        raise _RefusedError(502, "a malformed Content-Length")
    return int(length)


async def _reply(writer: asyncio.StreamWriter, status: int, reason: str, *, body: bool = True) -> None:
    text = reason.encode("latin-1", "replace") + b"\n"
    head = f"HTTP/1.1 {status} {reason}\r\n"
    if body:
        head += f"Content-Type: text/plain\r\nContent-Length: {len(text)}\r\nConnection: close\r\n"
    writer.write(head.encode("latin-1", "replace") + b"\r\n" + (text if body else b""))
    with contextlib.suppress(OSError):
        await writer.drain()


def _origin(target: str) -> SplitResult:
    """The URL the request is really for: an absolute http URL, https if its host carries `PROXY_TLS_SUFFIX`."""
    try:
        parts = urlsplit(target)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        raise _RefusedError(400, "a malformed request URL") from None
    if parts.scheme.lower() != "http" or not host or "@" in parts.netloc:
        raise _RefusedError(400, "only absolute http URLs are proxied")
    scheme = "http"
    if host.endswith(PROXY_TLS_SUFFIX):
        scheme, host = "https", host.removesuffix(PROXY_TLS_SUFFIX)
    netloc = f"[{host}]" if ":" in host else host
    netloc += f":{port}" if port is not None else ""
    return SplitResult(scheme, netloc, parts.path, parts.query, "")


def _proxied_location(value: str) -> str:
    """An https redirect target in its proxy form, so that FFmpeg's next request comes back here."""
    if not value.lower().startswith("https:"):
        return value
    try:
        return proxy_form(value)
    except (SourceError, ValueError):
        return value  # FFmpeg cannot open it (no https protocol): fails closed


def _is_playlist(origin: SplitResult, response: _Head) -> bool:
    kind = (response.get("content-type") or "").lower()
    return any(word in kind for word in _PLAYLIST_TYPES) or origin.path.lower().endswith((".m3u8", ".m3u"))


def _rewrite_playlist(body: bytes) -> bytes:
    """An HLS playlist whose absolute https URIs (segments, variants, keys, maps) are in their proxy form."""
    if not body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"#EXTM3U"):
        return body
    text = body.decode("utf-8", "replace")
    lines = []
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped.lower().startswith("https:"):
            line = _proxied_location(stripped)
        elif stripped.startswith("#"):
            line = _URI_ATTRIBUTE.sub(lambda m: f'URI="{_proxied_location(m.group(1))}"', line)
        lines.append(line)
    return "\n".join(lines).encode("utf-8")


def _head_bytes(start: str, headers: list[tuple[str, str]], *, close: bool) -> bytes:
    lines = [start, *(f"{k}: {v}" for k, v in headers), *(["Connection: close"] if close else []), "", ""]
    return "\r\n".join(lines).encode("latin-1", "replace")
