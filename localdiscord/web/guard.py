"""What keeps other web pages out of the local Discord's page: it can drive a bot (and, in encore's sandbox, kill
its workers), so only the page itself may call it.

- A request from another origin is refused (``Origin`` must be this page's own, when the browser sends one: it does
  on every POST and WebSocket), and a POST must be JSON (a cross-site form cannot send that without a preflight,
  which nothing here answers).
- While the page listens on loopback, a ``Host`` that is not a loopback name is refused: a DNS rebinding attack
  reaches 127.0.0.1 under the attacker's host name.
"""

from __future__ import annotations

from typing import Any, Final

import orjson
from aiohttp import web

LOOPBACK_NAMES: Final = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def _refused(status: int, message: str) -> web.Response:
    return web.Response(body=orjson.dumps({"error": message}), status=status, content_type="application/json")


class RequestGuard:
    def __init__(self) -> None:
        self.loopback_only = True
        """Set by ``serve_page`` from the address it listens on."""

    def refusal(self, request: web.Request) -> web.Response | None:
        host = request.host.rsplit(":", 1)[0] if not request.host.endswith("]") else request.host
        if self.loopback_only and host not in LOOPBACK_NAMES:
            return _refused(421, "This page answers only to its loopback address.")
        origin = request.headers.get("Origin")
        if origin is not None and origin != f"{request.scheme}://{request.host}":
            return _refused(403, "Only the page itself may call it.")
        if request.method == "POST" and request.content_type != "application/json":
            return _refused(415, "Send JSON.")
        return None

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        refused = self.refusal(request)
        if refused is not None:
            return refused
        response: web.StreamResponse = await handler(request)
        return response
