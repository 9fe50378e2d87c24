"""A loopback HTTP file server with Range support (FFmpeg input seeking over HTTP depends on it).

It can also play a hostile server: `redirect(path, Redirect(...))` answers requests for a path with a 302 to
another URL, only for some user agents or only from the Nth request on (tests/audio/test_hops.py).
"""

from __future__ import annotations

import contextlib
import re
import ssl
import threading
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Final, Self, override

MIME: Final = {
    ".mp3": "audio/mpeg",
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".webm": "audio/webm",
    ".m4a": "audio/mp4",
    ".wav": "audio/wav",
    ".txt": "text/plain",
    ".m3u8": "application/vnd.apple.mpegurl",
}
_RANGE: Final = re.compile(r"bytes=(\d*)-(\d*)$")


@dataclass(frozen=True, slots=True)
class Redirect:
    """A 302 to `to` for requests whose User-Agent contains `agent` (any agent if None), from the `nth` request on."""

    to: str
    agent: str | None = None
    nth: int = 1

    def applies(self, user_agent: str, number: int) -> bool:
        return number >= self.nth and (self.agent is None or self.agent in user_agent)


@dataclass
class _State:
    """What the handler threads share: the request log and the redirect rules."""

    requests: list[tuple[str, str | None]] = field(default_factory=list)
    agents: list[tuple[str, str]] = field(default_factory=list)
    redirects: dict[str, Redirect] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def redirect_for(self, path: str, user_agent: str) -> Redirect | None:
        with self.lock:
            self.agents.append((path, user_agent))
            self.counts[path] += 1
            rule = self.redirects.get(path)
            return rule if rule is not None and rule.applies(user_agent, self.counts[path]) else None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def __init__(self, *args: object, root: Path, state: _State) -> None:
        self._root = root
        self._state = state
        super().__init__(*args)  # type: ignore[arg-type]

    def do_GET(self) -> None:
        self._serve(body=True)

    def do_HEAD(self) -> None:
        self._serve(body=False)

    @override
    def log_message(self, format: str, *args: object) -> None:
        pass

    def _serve(self, *, body: bool) -> None:
        header = self.headers.get("Range")
        self._state.requests.append((self.path, header))
        relative = self.path.lstrip("/").split("?")[0]
        rule = self._state.redirect_for("/" + relative, self.headers.get("User-Agent", ""))
        if rule is not None:
            self.send_response(HTTPStatus.FOUND)
            self.send_header("Location", rule.to)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path = (self._root / relative).resolve()
        if self._root not in path.parents or not path.is_file():
            self._reply(HTTPStatus.NOT_FOUND, b"not found", "text/plain", body=body)
            return
        data = path.read_bytes()
        span = _parse_range(header, len(data))
        if span is None:
            self._reply(HTTPStatus.OK, data, MIME.get(path.suffix, "application/octet-stream"), body=body)
            return
        start, end = span
        if start >= len(data):
            self.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
            self.send_header("Content-Range", f"bytes */{len(data)}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        extra = {"Content-Range": f"bytes {start}-{end}/{len(data)}"}
        self._reply(HTTPStatus.PARTIAL_CONTENT, data[start : end + 1], MIME.get(path.suffix, ""), body=body, **extra)

    def _reply(self, status: HTTPStatus, data: bytes, mime: str, *, body: bool, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", mime)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Accept-Ranges", "bytes")
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        if body:
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self.wfile.write(data)


def _parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    match = _RANGE.match(header or "")
    if match is None:
        return None
    first, last = match.groups()
    if not first:
        return max(0, size - int(last)), size - 1
    return int(first), min(size - 1, int(last)) if last else size - 1


class RangeServer:
    """Serves `root` on 127.0.0.1 from a background thread; `requests` records (path, Range header)."""

    def __init__(self, root: Path, *, tls: ssl.SSLContext | None = None) -> None:
        """`tls`: serve https with this server context (tests/resolve/test_proxy.py makes a throwaway CA)."""
        self._scheme = "https" if tls is not None else "http"
        self._state = _State()
        self.requests: Final = self._state.requests
        self.agents: Final = self._state.agents
        """(path, User-Agent) of every request, redirected or not."""
        handler = partial(_Handler, root=root.resolve(), state=self._state)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="range-server", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{self._scheme}://{host!s}:{port}"

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def redirect(self, path: str, rule: Redirect) -> str:
        """Apply `rule` to requests for `path` (counting from now); returns the path's URL."""
        path = "/" + path.lstrip("/")
        with self._state.lock:
            self._state.redirects[path] = rule
            self._state.counts[path] = 0
        return self.url(path)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
