"""End-to-end harness: the real gateway process (`python -m gateway`) against the fake Discord and a real Redis.

A small world: one guild with a text channel, two voice channels, a DJ role, and members: alice and bob in the
first voice channel, carol in none, dave (DJ) in the first voice channel, and an admin role holder (Manage Server).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from redis.asyncio import Redis

from gateway.stores.clients import Stores
from localdiscord.fake_discord import FakeDiscord
from localdiscord.scenario.interactions import CommandNotRegisteredError
from localdiscord.waiting import wait_until
from localdiscord.world.interactions import APPLICATION_COMMAND, Callback, InteractionHandle
from localdiscord.world.models import Channel, Guild, Member, Message, Role
from shared.events import VoiceStateRequest
from shared.keys import Keys
from shared.settings import GatewaySettings
from tests.services.processes import ServiceProcess

MANAGE_GUILD: Final = 1 << 5
EVERYONE: Final = (1 << 10) | (1 << 11) | (1 << 16) | (1 << 20) | (1 << 21) | (1 << 31)
"""View channel, send messages, read history, connect, speak, use application commands: no Manage Server."""
READY_LINE: Final = "gateway ready"
START_TIMEOUT_S: Final = 30.0
DISCORD_ACK_S: Final = 3.0
"""How long Discord waits for an interaction's first answer."""
DISCORD_CONTENT: Final = 2000
"""The most characters a message's content may have."""


@dataclass
class World:
    fake: FakeDiscord
    guild: Guild
    text: Channel
    voice: Channel
    other_voice: Channel
    dj_role: Role
    admin_role: Role
    alice: Member
    bob: Member
    carol: Member
    dave: Member
    admin: Member


async def build_world(fake: FakeDiscord) -> World:
    guild = await fake.create_guild("encore test")
    # The fake gives @everyone every permission (Manage Server included); members here must be ordinary members.
    # Set before the bot connects (`fake.world.set_role_permissions` would dispatch GUILD_ROLE_UPDATE later on).
    # The bot has @everyone's permissions only: no Set Voice Channel Status, no Manage Channels.
    guild.roles[guild.id].permissions = EVERYONE
    text = await fake.create_text_channel(guild, "music")
    voice = await fake.create_voice_channel(guild, "Lounge")
    other_voice = await fake.create_voice_channel(guild, "Stage")
    dj_role = await fake.world.create_role(guild, "DJ")
    admin_role = await fake.world.create_role(guild, "Admin", permissions=MANAGE_GUILD)
    alice = await fake.create_member(guild, "alice")
    bob = await fake.create_member(guild, "bob")
    carol = await fake.create_member(guild, "carol")
    dave = await fake.create_member(guild, "dave", roles=[dj_role])
    admin = await fake.create_member(guild, "admin", roles=[admin_role])
    for member in (alice, bob, dave):
        await fake.join_voice(member, voice)
    return World(fake, guild, text, voice, other_voice, dj_role, admin_role, alice, bob, carol, dave, admin)


@dataclass
class GatewayProcess:
    """`python -m gateway` pointed at the fake and the test Redis; restartable."""

    fake: FakeDiscord
    redis_url: str
    log_path: Path
    extra_env: Mapping[str, str]
    service: ServiceProcess | None = None
    _log_offset: int = 0

    def env(self) -> dict[str, str]:
        return {
            **self.fake.environment(),
            "ENCORE_REDIS__URL": self.redis_url,
            "ENCORE_LOG_LEVEL": "INFO",
            **self.extra_env,
        }

    async def start(self) -> GatewayProcess:
        self._log_offset = len(self.service.log()) if self.service else 0
        self.service = await ServiceProcess("gateway", "gateway", self.env(), self.log_path).start()
        await self.service.wait_for_log(READY_LINE, START_TIMEOUT_S, after=self._log_offset)
        return self

    async def kill(self) -> None:
        assert self.service is not None
        await self.service.kill()

    async def stop(self) -> int | None:
        assert self.service is not None
        return await self.service.terminate()

    async def close(self) -> None:
        if self.service is not None:
            await self.service.close()

    def log(self) -> str:
        return self.service.log() if self.service else ""


@asynccontextmanager
async def running_gateway(
    world: World, redis_url: str, log_path: Path, log_level: str
) -> AsyncIterator[GatewayProcess]:
    """A started gateway whose commands are registered; the rate limit is out of the way (it has its own tests)."""
    env = {"ENCORE_GATEWAY__RATE_LIMIT_COMMANDS": "1000", "ENCORE_LOG_LEVEL": log_level}
    process = GatewayProcess(world.fake, redis_url, log_path, env)
    try:
        yield await process.start()
        await wait_registered(world)
    finally:
        await process.close()


def assert_quiet(log: str) -> None:
    """No traceback and no ERROR record (text or JSON format) in this part of the gateway's log."""
    assert "Traceback" not in log, log[-4000:]
    assert " ERROR " not in log and '"ERROR"' not in log, log[-4000:]


def redis_stores(redis: Redis, keys: Keys) -> Stores:
    """The gateway's stores over the test Redis, to set up and read the state the gateway process sees."""
    return Stores.build(redis, keys, GatewaySettings(), search_providers=("youtube",))


async def invoke(
    world: World,
    name: str,
    member: Member,
    options: Mapping[str, object] | None = None,
    *,
    subcommand: str | None = None,
    timeout_s: float = 10.0,
) -> InteractionHandle:
    """Invoke a command, waiting for the gateway to have registered it."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return await world.fake.invoke(
                name, member=member, channel=world.text, options=options, subcommand=subcommand
            )
        except CommandNotRegisteredError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)


async def answer(
    world: World,
    name: str,
    member: Member,
    options: Mapping[str, object] | None = None,
    *,
    subcommand: str | None = None,
    timeout_s: float = 10.0,
) -> tuple[Callback, Message]:
    """Invoke and wait for the visible reply (after a defer: the edited original)."""
    handle = await invoke(world, name, member, options, subcommand=subcommand)
    callback = await handle.response(timeout_s)
    return callback, await handle.reply(timeout_s)


type JSON = dict[str, Any]


def registered(world: World) -> list[JSON]:
    """The chat-input commands the bot registered with the fake, for the world's guild (guild ones, then global)."""
    commands = world.fake.core.commands
    found = {str(c["name"]): c for c in commands.listing(None) + commands.listing(world.guild.id)}
    return [command for command in found.values() if command.get("type", 1) == 1]


async def wait_registered(world: World, name: str = "play", timeout_s: float = 10.0) -> None:
    await world.fake.interactions.wait_until_command(name, guild_id=world.guild.id, timeout=timeout_s)


def raw_command(world: World, name: str, options: object = None, **data: object) -> JSON:
    """The `data` of a slash command interaction with `options` exactly as given (no typing, no checks)."""
    command = world.fake.core.commands.find(world.guild.id, name)
    command_id = command["id"] if command is not None else "1"
    body: JSON = {"id": command_id, "name": name, "type": 1, "guild_id": str(world.guild.id)}
    if options is not None:
        body["options"] = options
    return body | data


async def invoke_raw(
    world: World, member: Member, data: JSON, *, kind: int = APPLICATION_COMMAND, message: Message | None = None
) -> InteractionHandle:
    """Send an interaction with a raw `data` payload, as a misbehaving (or hostile) Discord could.

    The fake's scenario API types every option from its Python value; this goes one step below it, through the
    path its `invoke` and `click` use, so any payload reaches the bot as given (`message`: a clicked message).
    """
    return await world.fake.interactions.deliver(kind, member, world.text, data, message)


async def private_refusal(world: World, handle: InteractionHandle, timeout_s: float = 10.0) -> Message:
    """The answer to an interaction that was deferred publicly and then refused: the public placeholder is
    deleted before the refusal goes out as an ephemeral follow-up (Discord would take a follow-up sent while the
    placeholder still loads as the placeholder itself, public). Returns the follow-up."""
    callback = await handle.response(timeout_s)
    assert callback.type == 5 and not callback.ephemeral, callback
    followup = await handle.followup(0, timeout_s)
    assert followup.ephemeral, text_of(followup)
    original = handle.interaction.original
    assert original is not None and original.deleted, "the public placeholder was left in the channel"
    token = handle.interaction.token
    hooks = [r for r in world.fake.core.requests if r.path.startswith("/webhooks/") and token in r.path]
    order = [(r.method, r.path.endswith("@original")) for r in hooks]
    assert order.index(("DELETE", True)) < order.index(("POST", False)), order
    return followup


async def guild_state(redis: Redis, keys: Keys, guild_id: int) -> dict[str, bytes]:
    """Every Redis value of the guild (its hash-tagged keys, DUMPed) plus the active-guild set, to compare."""
    found = [key async for key in redis.scan_iter(match=f"{keys.prefix}:{{{guild_id}}}:*", count=1000)]
    found.append(keys.active_guilds().encode())
    values = {key.decode() if isinstance(key, bytes) else str(key): await redis.dump(key) for key in found}
    return {key: value for key, value in values.items() if value is not None}


def changed(before: Mapping[str, bytes], after: Mapping[str, bytes]) -> set[str]:
    return {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}


def text_of(message: Message) -> str:
    """Content plus embed titles and descriptions, for assertions."""
    parts = [message.content]
    for embed in message.embeds:
        parts.extend(str(embed.get(key, "")) for key in ("title", "description"))
        parts.extend(f"{field.get('name')}: {field.get('value')}" for field in embed.get("fields", []))
        parts.append(str(embed.get("footer", {}).get("text", "")))
    return "\n".join(part for part in parts if part)


def custom_ids(message: Message) -> list[str]:
    found: list[str] = []
    for row in message.components:
        found.extend(str(component.get("custom_id")) for component in row.get("components", []))
    return found


def component_labels(message: Message) -> dict[str, Any]:
    return {
        str(component.get("custom_id")): component.get("label")
        for row in message.components
        for component in row.get("components", [])
    }


async def bot_joins(world: World, stores: Stores, channel_id: int | None, *, timeout_s: float = 10.0) -> None:
    """Act as the guild's owner: ask the gateway to join (or leave) and wait until the fake sees the bot there."""
    fence = await stores.leases.current_fence(world.guild.id)
    request = VoiceStateRequest(
        guild_id=world.guild.id, channel_id=channel_id, fence=fence, at_ms=int(time.time() * 1000)
    )
    await stores.voice.request(request)

    def arrived() -> bool:
        return world.fake.world.voice_channel_of(world.guild, world.fake.bot_user_id) == channel_id

    await wait_until(arrived, timeout_s, f"the bot in voice channel {channel_id}", 0.02)
