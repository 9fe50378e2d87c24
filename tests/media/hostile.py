"""Hostile media answers for the loopback media server: what broken uploads and unfriendly hosts send as "audio".

Routes (each serves or mangles a real file of the server's root, `<file>`):

    /hostile/garbage/<file>      random bytes (seeded by the path) as audio/mpeg
    /hostile/truncated/<file>    the file's first 600 bytes (a broken upload)
    /hostile/empty/<file>        audio/mpeg with a zero-length body
    /hostile/html/<file>         an HTML page served as audio/mpeg
    /hostile/reset/<file>        the first 30 % of the file, then a TCP reset; a request for the rest is reset at once
    /hostile/hang/<file>         the headers, then nothing (until the client goes away)
    /hostile/drop/<file>         the first request gets 40 % of the file, then a TCP reset; later ones are served
                                 whole, with HTTP Range (a connection lost once mid-stream, a client that resumes)
    /hostile/flip<N>/<file>      the file for the first N requests, then a redirect to /hostile/garbage/<file>
    /hostile/flipffmpeg/<file>   the file, but that redirect for FFmpeg (its Icy-MetaData header, or a Lavf agent)

Any path can also be made to redirect somewhere of the test's choosing (a sentinel, an outside address), only for
some user agents or only from the Nth request on: `MediaServer.redirect(path, Redirect(...))`, kept in `RedirectRules`.
"""

from __future__ import annotations

import asyncio
import random
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from aiohttp import web

PREFIX: Final = "/hostile"
_HTML: Final = (
    b"<!doctype html><html><head><title>Not audio</title></head><body>" + b"<p>nope</p>" * 200 + b"</body></html>"
)
_HANG_POLL_S: Final = 0.1
_TRUNCATED_BYTES: Final = 600


@dataclass(frozen=True, slots=True)
class Redirect:
    """A 302 to `to` for requests whose User-Agent contains `agent` (any agent if None), from the `nth` request on."""

    to: str
    agent: str | None = None
    nth: int = 1

    def applies(self, user_agent: str, number: int) -> bool:
        return number >= self.nth and (self.agent is None or self.agent in user_agent)


class RedirectRules:
    """Redirect rules per path, set from the test's thread and consulted by the server's; each counts its requests."""

    def __init__(self) -> None:
        self._rules: dict[str, Redirect] = {}
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()

    def set(self, path: str, rule: Redirect) -> None:
        """Apply `rule` to requests for `path` (a leading "/", no query), counting from now."""
        with self._lock:
            self._rules[path] = rule
            self._seen[path] = 0

    def target(self, path: str, user_agent: str) -> str | None:
        """Where this request is sent, if a rule applies to it (counting it either way)."""
        with self._lock:
            rule = self._rules.get(path)
            if rule is None:
                return None
            self._seen[path] += 1
            return rule.to if rule.applies(user_agent, self._seen[path]) else None


class HostileMedia:
    """The `/hostile/...` routes; `requests` counts requests per behaviour and file."""

    def __init__(self, root: Path) -> None:
        self._root = root.resolve()
        self.requests: Counter[str] = Counter()
        self.log: list[tuple[str, str, str]] = []
        """Every request: behaviour/file, User-Agent, Range."""

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get(PREFIX + "/{behaviour}/{path:.*}", self._handle)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        behaviour, relative = request.match_info["behaviour"], request.match_info["path"]
        path = (self._root / relative).resolve()
        if not path.is_relative_to(self._root) or not path.is_file():
            raise web.HTTPNotFound
        self.requests[f"{behaviour}/{relative}"] += 1
        self.log.append(
            (f"{behaviour}/{relative}", request.headers.get("User-Agent", ""), request.headers.get("Range", ""))
        )
        seen = self.requests[f"{behaviour}/{relative}"]
        data = path.read_bytes()
        if behaviour.startswith("flip"):
            return _flip(request, behaviour, relative, data, seen)
        if behaviour == "reset":
            return await _reset(request, data, 0 if request.http_range.start else len(data) * 3 // 10)
        if behaviour == "drop":
            return await _reset(request, data, len(data) * 4 // 10) if seen == 1 else web.FileResponse(path)
        if behaviour == "hang":
            return await _hang(request, len(data))
        bodies: dict[str, Callable[[], bytes]] = {
            "garbage": lambda: random.Random(relative).randbytes(len(data)),
            "empty": lambda: b"",
            "html": lambda: _HTML,
            "truncated": lambda: data[:_TRUNCATED_BYTES],
        }
        if behaviour not in bodies:
            raise web.HTTPNotFound
        return _audio(bodies[behaviour]())


def _audio(body: bytes) -> web.Response:
    return web.Response(body=body, headers={"Content-Type": "audio/mpeg"})


def _flip(request: web.Request, behaviour: str, relative: str, data: bytes, seen: int) -> web.Response:
    if behaviour == "flipffmpeg":
        # FFmpeg sends the User-Agent yt-dlp chose, but it always asks for ICY metadata (ffprobe also says Lavf)
        flipped = "Icy-MetaData" in request.headers or request.headers.get("User-Agent", "").startswith("Lavf")
    else:
        limit = behaviour.removeprefix("flip")
        if not limit.isdigit():
            raise web.HTTPNotFound
        flipped = seen > int(limit)
    if flipped:
        # to garbage: a redirect the resolver follows leads to a broken file, one FFmpeg meets is refused
        raise web.HTTPFound(f"{PREFIX}/garbage/{relative}")
    return _audio(data)


async def _reset(request: web.Request, data: bytes, keep: int) -> web.StreamResponse:
    """Promise the whole file, send `keep` bytes, then reset the connection."""
    response = web.StreamResponse(headers={"Content-Type": "audio/mpeg", "Content-Length": str(len(data))})
    await response.prepare(request)
    if keep:
        await response.write(data[:keep])
        await asyncio.sleep(0.05)
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    return response


async def _hang(request: web.Request, size: int) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "audio/mpeg", "Content-Length": str(size)})
    await response.prepare(request)
    while (transport := request.transport) is not None and not transport.is_closing():  # noqa: ASYNC110 - no event to wait on
        await asyncio.sleep(_HANG_POLL_S)
    return response
