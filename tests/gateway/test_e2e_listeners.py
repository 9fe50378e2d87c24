"""End to end: the gateway tells the guild's player how many members listen in the bot's voice channel."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from gateway.stores.clients import Stores
from localdiscord.fake_discord import FakeDiscord
from shared.command_store import CommandStore
from shared.commands import ListenersCommand
from shared.keys import Keys
from shared.settings import GatewaySettings
from tests.gateway.e2e import GatewayProcess, World, bot_joins, build_world

pytestmark = [pytest.mark.e2e]


@pytest.fixture
async def world(fake_discord: FakeDiscord) -> World:
    return await build_world(fake_discord)


@pytest.fixture
async def gateway(world: World, redis_url: str, redis: Redis, tmp_path: Path) -> AsyncIterator[GatewayProcess]:
    process = GatewayProcess(world.fake, redis_url, tmp_path / "gateway.log", {})
    try:
        yield await process.start()
    finally:
        await process.close()


async def _latest_count(redis: Redis, keys: Keys, guild_id: int, expected: int) -> int | None:
    """The last count reported (changes that arrive together may be reported once, as their final count)."""
    deadline = time.monotonic() + 10
    while True:
        entries = await CommandStore(redis, keys).read_after(guild_id, "0-0")
        counts = [e.command.count for e in entries if isinstance(e.command, ListenersCommand)]
        latest = counts[-1] if counts else None
        if latest == expected or time.monotonic() > deadline:
            return latest
        await asyncio.sleep(0.05)


async def test_listener_counts_follow_members_in_the_bots_channel(
    world: World, gateway: GatewayProcess, redis: Redis, keys: Keys
) -> None:
    stores = Stores.build(redis, keys, GatewaySettings(), search_providers=("youtube",))
    await bot_joins(world, stores, world.voice.id)
    guild = world.guild.id
    assert await _latest_count(redis, keys, guild, 3) == 3, "alice, bob and dave are there"
    await world.fake.leave_voice(world.alice)
    assert await _latest_count(redis, keys, guild, 2) == 2
    await world.fake.join_voice(world.carol, world.other_voice)  # another channel: nothing to report
    await asyncio.sleep(0.5)
    assert await _latest_count(redis, keys, guild, 2) == 2
    await world.fake.leave_voice(world.bob)
    await world.fake.leave_voice(world.dave)
    assert await _latest_count(redis, keys, guild, 0) == 0, "alone: the player's idle timer starts"
    await world.fake.join_voice(world.carol, world.voice)
    assert await _latest_count(redis, keys, guild, 1) == 1
