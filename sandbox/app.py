"""The sandbox: encore's real gateway and workers against the local Discord, and a page to use and break them.

Started by ``./scripts/run`` when there is no Discord token (``python -m sandbox``). Redis is the one the run script
starts (``ENCORE_REDIS__URL``). The local Discord runs in this process with one guild: a text and a voice channel
and a few members to act as, one of them a DJ. The gateway and the workers are ordinary ``python -m`` processes
configured only by the environment, exactly as against Discord; the workers may reach 127.0.0.1 to play the demo
library. The page listens on loopback unless ``ENCORE_SANDBOX__HOST`` says otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from aiohttp import web
from redis.asyncio import Redis

from localdiscord.config import FakeConfig
from localdiscord.fake_discord import FakeDiscord
from localdiscord.web.page import LocalDiscordPage, serve_page
from localdiscord.world.models import Channel, Guild
from sandbox.library import MediaServer, render_demo_tracks
from sandbox.panel import SCRIPT, Panel
from sandbox.processes import Service
from shared.keys import Keys
from shared.settings import Settings

_log: Final = logging.getLogger(__name__)
MEMBERS: Final = ("alice", "bob", "carol")
DJ: Final = "dj"
START_TIMEOUT_S: Final = 60.0
EVERYONE: Final = (1 << 10) | (1 << 11) | (1 << 16) | (1 << 20) | (1 << 21) | (1 << 31)
"""View channel, send messages, read history, connect, speak, use application commands."""


@dataclass(frozen=True, slots=True)
class SandboxGuild:
    guild: Guild
    text: Channel
    voice: Channel


async def build_guild(fake: FakeDiscord) -> SandboxGuild:
    """One guild: #music, the Lounge voice channel, members alice, bob, carol and dj (with the DJ role)."""
    guild = await fake.create_guild("encore sandbox")
    guild.roles[guild.id].permissions = EVERYONE  # ordinary members: no Manage Server
    text = await fake.create_text_channel(guild, "music")
    voice = await fake.create_voice_channel(guild, "Lounge")
    dj_role = await fake.world.create_role(guild, "DJ")
    for name in MEMBERS:
        await fake.create_member(guild, name)
    await fake.create_member(guild, DJ, roles=[dj_role])
    return SandboxGuild(guild, text, voice)


class Sandbox:
    """Every part of one sandbox run; ``running()`` starts them and stops them in reverse order."""

    def __init__(self, settings: Settings, root: Path) -> None:
        if not settings.redis.url:
            raise SystemExit("ENCORE_REDIS__URL is not set: start the sandbox with ./scripts/run")
        self.settings = settings
        self.data = (
            settings.sandbox.data_dir if settings.sandbox.data_dir.is_absolute() else root / settings.sandbox.data_dir
        )
        self.logs = self.data / "logs"
        self.root = root
        self.address = ""
        self.workers: dict[str, Service] = {}
        self.gateway: Service | None = None

    def _env(self, fake: FakeDiscord) -> dict[str, str]:
        env = fake.environment()
        env.pop("SSL_CERT_FILE")  # encore takes the voice CA as a setting; real links keep the system's CAs
        allowed = " ".join((*self.settings.worker.allowed_hosts, "127.0.0.1"))
        return env | {"ENCORE_REDIS__URL": str(self.settings.redis.url), "ENCORE_WORKER__ALLOWED_HOSTS": allowed}

    def _services(self, fake: FakeDiscord) -> None:
        env = self._env(fake)
        self.gateway = Service("gateway", "gateway", env, self.logs / "gateway.log", "gateway ready")
        for index in range(1, self.settings.sandbox.workers + 1):
            name = f"w{index}"
            worker_env = env | {"ENCORE_WORKER__WORKER_ID": name}
            self.workers[name] = Service(name, "worker", worker_env, self.logs / f"{name}.log", f"worker {name} ready")

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Sandbox]:
        demo = self.data / "library"
        await render_demo_tracks(demo)  # on the first start only (a second one finds them)
        async with self._parts(demo):
            yield self

    @asynccontextmanager
    async def _parts(self, demo: Path) -> AsyncIterator[None]:
        config = FakeConfig(bot_name="encore")
        (self.data / "discord").mkdir(parents=True, exist_ok=True)
        async with (
            FakeDiscord(config, workdir=self.data / "discord") as fake,
            Redis.from_url(str(self.settings.redis.url)) as redis,
        ):
            world = await build_guild(fake)
            media = await MediaServer(demo, self.settings.sandbox.library_dir).start()
            self._services(fake)
            keys = Keys(self.settings.redis.key_prefix)
            page = LocalDiscordPage(fake, world.guild, panels=[SCRIPT])
            page.app.add_routes(Panel(self.workers, redis, keys, world.guild.id, media).routes())
            runner, self.address = await self._serve(page)
            try:
                await self._start(fake, world)
                yield
            finally:
                await self._stop()
                await runner.cleanup()
                await media.stop()

    async def _serve(self, page: LocalDiscordPage) -> tuple[web.AppRunner, str]:
        host, port = self.settings.sandbox.host, self.settings.sandbox.port
        try:
            return await serve_page(page, host, port)
        except OSError as exc:
            raise SystemExit(
                f"the page cannot listen on {host}:{port} ({exc.strerror or exc}): "
                "set ENCORE_SANDBOX__PORT to a free port (0: any)"
            ) from None

    async def _start(self, fake: FakeDiscord, world: SandboxGuild) -> None:
        services = [s for s in (self.gateway, *self.workers.values()) if s is not None]
        for service in services:
            await service.start()
        await asyncio.gather(*(s.wait_ready(START_TIMEOUT_S) for s in services))
        await fake.interactions.wait_until_command("play", guild_id=world.guild.id, timeout=START_TIMEOUT_S)

    async def _stop(self) -> None:
        services = [*self.workers.values(), *([self.gateway] if self.gateway else [])]
        await asyncio.gather(*(s.terminate() for s in services), return_exceptions=True)


def _loopback(host: str) -> bool:
    addresses = {info[4][0] for info in socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)}
    return all(ipaddress.ip_address(str(address)).is_loopback for address in addresses)


def say(text: str) -> None:
    sys.stdout.write(f"\033[1m[encore]\033[0m {text}\n")
    sys.stdout.flush()


async def run(settings: Settings, root: Path, stop: asyncio.Event) -> None:
    sandbox = Sandbox(settings, root)
    say("no ENCORE_DISCORD_TOKEN: starting the sandbox (encore against a local Discord on this machine)")
    async with sandbox.running():
        say(f"open {sandbox.address}  (the page, the local Discord and the workers' panel)")
        if not _loopback(settings.sandbox.host):
            say(f"the page listens on {settings.sandbox.host}: whoever reaches it can drive the bot and its workers")
        say(f"logs: {sandbox.logs}")
        say("to run against real Discord instead: create a bot at https://discord.com/developers/applications,")
        say("  then export ENCORE_DISCORD_TOKEN=<token> (or put it into .env) and run ./scripts/run again")
        say("Ctrl-C stops everything")
        with contextlib.suppress(asyncio.CancelledError):
            await stop.wait()
        say("stopping")
