"""Lifecycle of a fake Discord: the HTTP server (REST + gateway), voice servers, TLS files and URLs."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import ssl
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

from aiohttp import web

from tests.fakediscord.config import FakeConfig
from tests.fakediscord.fake_state import Core
from tests.fakediscord.faults import Faults
from tests.fakediscord.gateway.hub import GatewayHub
from tests.fakediscord.rest.app import API_PREFIX, RestApi
from tests.fakediscord.voice.capture import ChannelAudio
from tests.fakediscord.voice.router import VoiceRouter
from tests.fakediscord.voice.server import VoiceServer, bind_tcp
from tests.fakediscord.voice.tls import TlsFiles, make_tls_files

_log: Final = logging.getLogger(__name__)


class FakeBase:
    """Starts and stops every server; subclasses add the scenario API."""

    def __init__(self, config: FakeConfig | None = None, *, workdir: Path | None = None, **overrides: Any) -> None:
        self.config = dataclasses.replace(config or FakeConfig(), **overrides)
        self.core = Core(self.config)
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="fakediscord-")
            workdir = Path(self._tmp.name)
        self.workdir = workdir
        self.tls: TlsFiles = make_tls_files(workdir)
        self.audio: dict[int, ChannelAudio] = {}
        self.voice_servers: list[VoiceServer] = []
        self.router = VoiceRouter(self.core, self.voice_servers)
        self.hub = GatewayHub(self.core, self.router)
        self.router.dispatch = self.hub.dispatch_guild
        self.router.sessions_of = self.hub.sessions.get
        self._runner: web.AppRunner | None = None
        self.port = 0

    # lifecycle

    async def start(self) -> Self:
        app = web.Application()
        app.router.add_get("/gateway", self.hub.handle)
        app.add_subapp(API_PREFIX, RestApi(self.core).app())
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = bind_tcp(self.config.host, self.config.port)
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        self.core.rest_base = f"http://{self.config.host}:{self.port}{API_PREFIX}"
        self.core.gateway_url = f"ws://{self.config.host}:{self.port}/gateway"
        await self.add_voice_server(self.config.voice_port)
        _log.info("fake discord up: %s", self.core.rest_base)
        return self

    async def add_voice_server(self, port: int = 0) -> VoiceServer:
        """Start one more voice server instance (e.g. as the target of an endpoint move)."""
        server = VoiceServer(self.core, len(self.voice_servers), self.tls, self.audio)
        await server.start(port, port)
        self.voice_servers.append(server)
        return server

    async def stop(self) -> None:
        await self.hub.close()
        for server in self.voice_servers:
            await server.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                self._tmp.cleanup()

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # where things are

    @property
    def rest_base(self) -> str:
        """``http://127.0.0.1:PORT/api/v10``: set ``nextcord.http.Route.BASE`` to this."""
        return self.core.rest_base

    @property
    def gateway_url(self) -> str:
        return self.core.gateway_url

    @property
    def ca_file(self) -> Path:
        """The CA certificate that signed the voice servers' TLS certificate (for ``SSL_CERT_FILE``)."""
        return self.tls.ca_file

    @property
    def faults(self) -> Faults:
        """UDP loss/delay and slow REST routes (see :class:`~tests.fakediscord.faults.Faults`)."""
        return self.core.faults

    @property
    def token(self) -> str:
        return self.config.token

    @property
    def voice_endpoints(self) -> list[str]:
        return [server.endpoint for server in self.voice_servers]

    def ssl_context(self) -> ssl.SSLContext:
        """An SSL context that trusts the fake's CA (pass it to ``aiohttp.TCPConnector(ssl=...)``)."""
        return self.tls.client_context()

    def environment(self) -> dict[str, str]:
        """Environment variables that point a bot process at this fake."""
        return {
            "ENCORE_DISCORD_TOKEN": self.token,
            "ENCORE_GATEWAY__DISCORD_API_BASE": self.rest_base,
            "FAKE_DISCORD_REST_BASE": self.rest_base,
            "FAKE_DISCORD_GATEWAY_URL": self.gateway_url,
            "FAKE_DISCORD_CA_FILE": str(self.ca_file),
            "ENCORE_WORKER__VOICE_CA_FILE": str(self.ca_file),
            "SSL_CERT_FILE": str(self.ca_file),
        }

    def environ_with_fake(self) -> dict[str, str]:
        """``os.environ`` plus :meth:`environment` (for a subprocess)."""
        return dict(os.environ) | self.environment()
