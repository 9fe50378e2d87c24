"""``FakeDiscord``: a protocol-faithful Discord on 127.0.0.1 (REST v10, gateway v10, voice v8 + UDP, DAVE).

It starts and stops every server (one aiohttp app for REST and the gateway, one or more voice servers with their
TLS files) and holds the scenario API in parts: ``world`` (guilds, channels, members, messages), ``interactions``
(invoke, autocomplete, click), ``voice`` (voice sessions, calls, audio, voice faults) and ``gateway`` (sessions and
gateway faults). The calls nearly every scenario makes are also methods of ``FakeDiscord`` itself, delegating to
those parts; the rest is reached through the part (``fake.gateway.reconnect()``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import ssl
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any, Final, Self

from aiohttp import web

from localdiscord.config import FakeConfig
from localdiscord.fake_state import Core, VoiceGrant
from localdiscord.faults import Faults
from localdiscord.gateway.hub import GatewayHub
from localdiscord.rest.app import API_PREFIX, RestApi
from localdiscord.scenario.gateway import GatewayControl
from localdiscord.scenario.interactions import InteractionDriver
from localdiscord.scenario.voice import VoiceControl
from localdiscord.scenario.world import WorldBuilder
from localdiscord.voice.call import Call
from localdiscord.voice.capture import CaptureStats, ChannelAudio, HeardAudio
from localdiscord.voice.connection import VoiceConnection
from localdiscord.voice.router import VoiceRouter
from localdiscord.voice.server import VoiceServer, bind_tcp
from localdiscord.voice.tls import TlsFiles, make_tls_files
from localdiscord.world.interactions import InteractionHandle
from localdiscord.world.models import Channel, Guild, Member, Message, Role

_log: Final = logging.getLogger(__name__)


class FakeDiscord:
    """Start with ``async with FakeDiscord(FakeConfig(...)) as fake:``; see ``localdiscord/README.md``."""

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
        self.world = WorldBuilder(self.core, self.hub, self.router)
        self.interactions = InteractionDriver(self.core, self.hub)
        self.voice = VoiceControl(self.core, self.voice_servers, self.audio, self.router, self.add_voice_server)
        self.gateway = GatewayControl(self.hub)
        self._runner: web.AppRunner | None = None
        self.port = 0

    # lifecycle

    async def start(self) -> Self:
        app = web.Application()
        app.router.add_get("/gateway", self.hub.handle)
        app.add_routes(self.core.cdn.routes())
        app.add_subapp(API_PREFIX, RestApi(self.core, self.hub.dispatch_guild).app())
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = bind_tcp(self.config.host, self.config.port)
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        self.core.rest_base = f"http://{self.config.host}:{self.port}{API_PREFIX}"
        self.core.gateway_url = f"ws://{self.config.host}:{self.port}/gateway"
        self.core.cdn.base = f"http://{self.config.host}:{self.port}"
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
        """UDP loss/delay and slow REST routes (see :class:`~localdiscord.faults.Faults`)."""
        return self.core.faults

    @property
    def bot_user_id(self) -> int:
        return self.core.world.bot.id

    @property
    def application_id(self) -> int:
        return self.core.world.application_id

    @staticmethod
    def clock() -> float:
        """The clock of every timestamp in captures and logs (``time.monotonic()``)."""
        return time.monotonic()

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

    # shorthands for the parts' most used calls (the parts hold the whole API and its documentation)

    async def create_guild(self, name: str = "guild", *, preferred_locale: str = "en-US") -> Guild:
        return await self.world.create_guild(name, preferred_locale=preferred_locale)

    async def create_text_channel(self, guild: Guild, name: str = "general", parent: Channel | None = None) -> Channel:
        return await self.world.create_text_channel(guild, name, parent)

    async def create_voice_channel(self, guild: Guild, name: str = "voice", parent: Channel | None = None) -> Channel:
        return await self.world.create_voice_channel(guild, name, parent)

    async def create_member(
        self, guild: Guild, name: str, roles: Iterable[Role] = (), *, locale: str = "en-US"
    ) -> Member:
        return await self.world.create_member(guild, name, roles, locale=locale)

    async def join_voice(self, member: Member, channel: Channel, *, self_deaf: bool = False) -> None:
        await self.world.join_voice(member, channel, self_deaf=self_deaf)

    async def leave_voice(self, member: Member) -> None:
        await self.world.leave_voice(member)

    def messages(self, channel: Channel, *, include_ephemeral: bool = False) -> list[Message]:
        return self.world.messages(channel, include_ephemeral=include_ephemeral)

    async def wait_for_message(
        self,
        channel: Channel,
        predicate: Callable[[Message], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> Message:
        return await self.world.wait_for_message(channel, predicate, timeout)

    async def invoke(
        self,
        name: str,
        *,
        member: Member,
        channel: Channel,
        options: Mapping[str, object] | None = None,
        subcommand: str | None = None,
        group: str | None = None,
    ) -> InteractionHandle:
        return await self.interactions.invoke(
            name, member=member, channel=channel, options=options, subcommand=subcommand, group=group
        )

    async def click(
        self,
        message: Message,
        custom_id: str,
        *,
        member: Member,
        component_type: int = 2,
        values: list[str] | None = None,
    ) -> InteractionHandle:
        return await self.interactions.click(
            message, custom_id, member=member, component_type=component_type, values=values
        )

    def voice_connection(self, guild: Guild) -> VoiceConnection | None:
        return self.voice.voice_connection(guild)

    async def wait_for_voice_connection(
        self,
        guild: Guild,
        *,
        timeout: float = 10.0,  # noqa: ASYNC109
        after: VoiceConnection | None = None,
        server: int | None = None,
    ) -> VoiceConnection:
        return await self.voice.wait_for_voice_connection(guild, timeout=timeout, after=after, server=server)

    def call(self, channel: Channel, server: int | None = None) -> Call | None:
        return self.voice.call(channel, server)

    def heard(self, channel: Channel, listener: Member | None = None, speaker: int | None = None) -> HeardAudio:
        return self.voice.heard(channel, listener, speaker)

    def stream_stats(
        self, channel: Channel, speaker: int | None = None, start: float | None = None, end: float | None = None
    ) -> CaptureStats:
        return self.voice.stream_stats(channel, speaker, start, end)

    async def wait_for_audio(
        self,
        channel: Channel,
        *,
        seconds: float,
        timeout: float = 10.0,  # noqa: ASYNC109
        listener: Member | None = None,
        since: float | None = None,
    ) -> HeardAudio:
        return await self.voice.wait_for_audio(
            channel, seconds=seconds, timeout=timeout, listener=listener, since=since
        )

    async def close_voice(self, guild: Guild, code: int) -> VoiceConnection:
        return await self.voice.close_voice(guild, code)

    async def move_voice_endpoint(self, guild: Guild, server: int | None = None) -> VoiceGrant | None:
        return await self.voice.move_voice_endpoint(guild, server)
