"""An aiohttp application served on 127.0.0.1 from a thread of its own, so that sync tests, benches and any test's
event loop can use it alike.

The stand-ins for the outside services (the media server, LRCLIB, Spotify/Apple Music/Deezer) build their
application and hand it to one of these; `start()` returns once the port accepts connections and gives the port.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Callable

from aiohttp import web


class LoopbackApp:
    def __init__(
        self, build: Callable[[], web.Application], *, name: str, port: int = 0, tls: ssl.SSLContext | None = None
    ) -> None:
        self._build = build
        self._name = name
        self.port = port
        self._tls = tls
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    def start(self) -> int:
        loop = self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=loop.run_forever, name=self._name, daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), loop).result(timeout=10)
        return self.port

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        self._loop = self._thread = None

    async def _start(self) -> None:
        self._runner = web.AppRunner(self._build(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, ssl_context=self._tls)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.Server)
        self.port = int(server.sockets[0].getsockname()[1])

    async def _stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
