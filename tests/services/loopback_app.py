"""An aiohttp application served on 127.0.0.1 from a thread of its own, so that sync tests, benches and any test's
event loop can use it alike.

The stand-ins for the outside services (the media server, LRCLIB, Spotify/Apple Music/Deezer) are `Served`: they
build their application (`_app`) and `start()` (or `with`) serves it, returning once the port accepts connections.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Callable
from types import TracebackType
from typing import ClassVar, Self

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


class Served:
    """`start`/`stop` and `with` for a stand-in service (a dataclass with `port` and `_server` fields)."""

    SERVER_NAME: ClassVar[str]
    port: int
    _server: LoopbackApp | None

    def _app(self) -> web.Application:
        raise NotImplementedError

    def _tls(self) -> ssl.SSLContext | None:
        return None

    def start(self) -> Self:
        self._server = LoopbackApp(self._app, name=self.SERVER_NAME, port=self.port, tls=self._tls())
        self.port = self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
