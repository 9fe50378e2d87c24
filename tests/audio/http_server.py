"""A loopback HTTP file server with Range support (FFmpeg input seeking over HTTP depends on it)."""

from __future__ import annotations

import contextlib
import re
import threading
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
}
_RANGE: Final = re.compile(r"bytes=(\d*)-(\d*)$")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def __init__(self, *args: object, root: Path, log: list[tuple[str, str | None]]) -> None:
        self._root = root
        self._log = log
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
        self._log.append((self.path, header))
        path = (self._root / self.path.lstrip("/").split("?")[0]).resolve()
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

    def __init__(self, root: Path) -> None:
        self.requests: list[tuple[str, str | None]] = []
        handler = partial(_Handler, root=root.resolve(), log=self.requests)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="range-server", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
