"""A loopback HTTP(S) server for offline media tests: real MIME types, HTTP Range, broken links, paged sources.

It runs aiohttp on its own event loop in a background thread, so session-scoped fixtures and benchmarks can use
it from any test loop. It counts requests per path so tests can prove that a cache hit made no request, and logs
each request's Range and User-Agent. Hostile answers (resets, hangs, garbage, redirects by user agent or from the
Nth request on) are in tests/media/hostile.py.
"""

from __future__ import annotations

import ssl
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Final, override

from aiohttp import web
from aiohttp.typedefs import Handler

from shared.codec import dumps
from tests.media.hostile import HostileMedia, Redirect, RedirectRules
from tests.media.sponsorblock import FakeSponsorBlock
from tests.media.tones import CATALOG, CODECS
from tests.services.loopback_app import LoopbackApp, Served

MIME_TYPES: Final = {
    **{f".{codec.ext}": codec.mime for codec in CODECS},
    ".opus": "audio/ogg",
    ".xml": "application/rss+xml",
    ".xspf": "application/xspf+xml",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".m3u": "audio/x-mpegurl",
    ".m3u8": "application/vnd.apple.mpegurl",
    ".pls": "audio/x-scpls",
    ".txt": "text/plain",
}
PAGE_SIZE: Final = 100


@dataclass
class MediaServer(Served):
    """Serves `root` on 127.0.0.1 at a free port; `start()` (or `with`) returns once it accepts connections.

    `tls`: serve https with this server context (tests/resolve/test_proxy.py makes a throwaway CA).
    """

    SERVER_NAME: ClassVar[str] = "media-server"

    root: Path
    port: int = 0
    tls: ssl.SSLContext | None = None
    hits: Counter[str] = field(default_factory=Counter)
    requests: list[tuple[str, str | None]] = field(default_factory=list)
    """(path, Range header) of every request, redirected or not."""
    agents: list[tuple[str, str]] = field(default_factory=list)
    """(path, User-Agent) of every request, redirected or not."""
    _server: LoopbackApp | None = None
    hostile: HostileMedia = field(init=False)
    sponsorblock: FakeSponsorBlock = field(default_factory=FakeSponsorBlock)
    """The fake SponsorBlock API (/api/skipSegments…) this server also speaks."""
    _redirects: RedirectRules = field(default_factory=RedirectRules)

    def __post_init__(self) -> None:
        self.hostile = HostileMedia(self.root)

    @property
    def base(self) -> str:
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}"

    def redirect(self, path: str, rule: Redirect) -> str:
        """Apply `rule` to requests for `path` (counting from now); returns the path's URL."""
        self._redirects.set("/" + path.lstrip("/"), rule)
        return self.url(path)

    @override
    def _tls(self) -> ssl.SSLContext | None:
        return self.tls

    def count(self, prefix: str) -> int:
        """Requests so far whose path starts with `prefix`."""
        return sum(n for path, n in self.hits.items() if path.startswith(prefix))

    @override
    def _app(self) -> web.Application:
        app = web.Application(middlewares=[self._log_and_redirect])
        app.router.add_get("/gone/{slug:.*}", _status(404))
        app.router.add_get("/removed/{slug:.*}", _status(410))
        app.router.add_get("/broken/{slug:.*}", _status(500))
        app.router.add_get("/forbidden/{slug:.*}", _status(403))
        app.router.add_get("/limited/{slug:.*}", _status(429))
        app.router.add_get("/redirect", _redirect)
        self.hostile.add_routes(app)
        self.sponsorblock.add_routes(app)
        app.router.add_get("/paged/{pid}/meta.json", self._paged_meta)
        app.router.add_get("/paged/{pid}/page_{k:\\d+}.json", self._paged_page)
        app.router.add_get("/paged/{pid}", self._paged_landing)
        app.router.add_get("/{path:.*}", self._file)
        return app

    @web.middleware
    async def _log_and_redirect(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        agent = request.headers.get("User-Agent", "")
        self.hits[request.path] += 1
        self.requests.append((request.path, request.headers.get("Range")))
        self.agents.append((request.path, agent))
        target = self._redirects.target(request.path, agent)
        if target is not None:
            raise web.HTTPFound(target)
        return await handler(request)

    async def _file(self, request: web.Request) -> web.StreamResponse:
        relative = request.match_info["path"]
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root.resolve()) or not path.is_file():
            raise web.HTTPNotFound
        content_type = MIME_TYPES.get(path.suffix, "application/octet-stream")
        return web.FileResponse(path, headers={"Content-Type": content_type})

    def _paged_spec(self, request: web.Request) -> tuple[str, int]:
        """p<N>: N entries; x<N>: N entries, every 10th with a file:// URL the resolver must drop."""
        pid = request.match_info["pid"]
        digits = pid[1:] if pid[:1] in ("p", "x") else ""
        if not digits.isdigit():
            raise web.HTTPNotFound
        return pid, int(digits)

    async def _paged_landing(self, request: web.Request) -> web.Response:
        pid, count = self._paged_spec(request)
        return web.Response(text=f"<html><head><title>paged {pid}</title></head><body>{count}</body></html>")

    async def _paged_meta(self, request: web.Request) -> web.Response:
        pid, count = self._paged_spec(request)
        meta = {"title": f"Paged playlist {pid}", "count": count, "page_size": PAGE_SIZE}
        meta["pages"] = (count + PAGE_SIZE - 1) // PAGE_SIZE
        return web.Response(body=dumps(meta), content_type="application/json")

    async def _paged_page(self, request: web.Request) -> web.Response:
        pid, count = self._paged_spec(request)
        k = int(request.match_info["k"])
        first = k * PAGE_SIZE
        if first >= count:
            raise web.HTTPNotFound
        page = []
        for i in range(first, min(count, first + PAGE_SIZE)):
            tone = CATALOG[i % len(CATALOG)]
            url = f"{self.base}/{tone.file}?paged={pid}&i={i + 1}"
            if pid.startswith("x") and (i + 1) % 10 == 0:
                url = f"file:///etc/passwd?i={i + 1}"
            page.append({"id": f"{pid}-{i + 1:06d}", "title": f"{tone.title} #{i + 1}", "url": url, "duration": 5})
        return web.Response(body=dumps(page), content_type="application/json")


def _status(code: int) -> Handler:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=code, text=f"{code} {request.path}")

    return handler


async def _redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound(request.query["to"])
