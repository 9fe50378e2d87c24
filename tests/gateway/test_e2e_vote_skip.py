"""End to end: vote skip through the real gateway process, the fake Discord's voice states and a real Redis.

The world's voice channel holds alice, bob and dave (three listeners); carol is in no channel. The test acts as the
guild's owner (it writes the player state), so a skip is proven by the one `SkipCommand` on the guild's stream; the
whole stack (`tests/e2e/test_vote_skip.py`) proves that the next track is then heard.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from gateway.stores.clients import Stores
from localdiscord.fake_discord import FakeDiscord
from localdiscord.world.models import Member
from shared.commands import SkipCommand
from shared.event_store import EventStore
from shared.events import TrackStarted
from shared.keys import Keys
from shared.models import GuildSettings, PlayerState
from tests.factories import make_item
from tests.gateway.doubles import store_state
from tests.gateway.e2e import GatewayProcess, World, answer, bot_joins, build_world, invoke, running_gateway, text_of
from tests.gateway.test_e2e_commands import ok, refused, sent

pytestmark = [pytest.mark.e2e]
NEEDS_ONE_MORE = "1 of 2 votes — 1 more needed."


@pytest.fixture
async def world(fake_discord: FakeDiscord) -> World:
    """The robot (a bot) sits in the voice channel before the gateway connects: only GUILD_CREATE says it is a bot."""
    world = await build_world(fake_discord)
    robot = await fake_discord.create_member(world.guild, "robot")
    robot.user.bot = True
    await fake_discord.join_voice(robot, world.voice)
    return world


@pytest.fixture
async def gateway(world: World, redis_url: str, redis: Redis, tmp_path: Path) -> AsyncIterator[GatewayProcess]:
    async with running_gateway(world, redis_url, tmp_path / "gateway.log", "DEBUG") as process:
        yield process


async def now_playing(world: World, stores: Stores, requester: Member) -> PlayerState:
    """Act as the owner: the bot is in the voice channel and plays a new item `requester` queued."""
    await bot_joins(world, stores, world.voice.id)
    item = make_item(1, requester_id=requester.user.id)
    state = PlayerState(now_playing=item, voice_channel_id=world.voice.id, text_channel_id=world.text.id)
    await store_state(stores, state, world.guild.id)
    return state


async def skips(redis: Redis, keys: Keys, world: World) -> int:
    return sum(isinstance(command, SkipCommand) for command in await sent(redis, keys, world))


async def test_half_of_three_listeners_skip_with_two_votes(
    world: World, gateway: GatewayProcess, stores: Stores, redis: Redis, keys: Keys
) -> None:
    """Three listeners (the robot does not count), 50 %: two votes."""
    await now_playing(world, stores, world.carol)
    assert (await ok(world, "skip", world.bob)).endswith(NEEDS_ONE_MORE)
    assert "already voted to skip this track (1 of 2 votes" in await refused(world, "skip", world.bob)
    assert f"Join <#{world.voice.id}>" in await refused(world, "skip", world.carol)
    assert "only the current track" in await refused(world, "skip", world.alice, {"count": 2})
    assert await skips(redis, keys, world) == 0
    assert (await ok(world, "skip", world.alice)).startswith("⏭ Vote passed (2 of 2 votes): skipped [track 1]")
    assert await skips(redis, keys, world) == 1
    assert "has passed already" in text_of((await answer(world, "skip", world.dave))[1])
    assert await skips(redis, keys, world) == 1

    await now_playing(world, stores, world.carol)  # a track change: the votes start again
    assert (await ok(world, "skip", world.bob)).endswith(NEEDS_ONE_MORE)
    await now_playing(world, stores, world.bob)
    assert (await ok(world, "skip", world.bob)).startswith("⏭ Skipped [track 1]"), "the requester skips at once"
    assert await skips(redis, keys, world) == 2


async def test_the_dj_role_and_manage_server_skip_at_once_and_off_skips_as_before(
    world: World, gateway: GatewayProcess, stores: Stores, redis: Redis, keys: Keys
) -> None:
    await now_playing(world, stores, world.carol)
    assert (await ok(world, "skip", world.dave)).endswith(NEEDS_ONE_MORE), "no DJ role set: dave is a listener"
    await stores.settings.update(world.guild.id, dj_role_id=world.dj_role.id)
    assert (await ok(world, "skip", world.dave, {"count": 2})) == "⏭ Skipping 2 tracks."
    assert (await ok(world, "skip", world.admin)).startswith("⏭ Skipped"), "Manage Server, from outside the channel"
    await stores.settings.update(world.guild.id, vote_skip_percent=0)
    assert (await ok(world, "skip", world.bob)).startswith("⏭ Skipped [track 1]")
    assert await skips(redis, keys, world) == 3


async def test_deafened_members_and_bots_do_not_count(
    world: World, gateway: GatewayProcess, stores: Stores, redis: Redis, keys: Keys
) -> None:
    await now_playing(world, stores, world.carol)
    await world.fake.join_voice(world.dave, world.voice, self_deaf=True)
    assert "deafened" in await refused(world, "skip", world.dave)
    assert (await ok(world, "skip", world.bob)).startswith("⏭ Vote passed (1 of 1 vote)"), "alice and bob listen"
    assert await skips(redis, keys, world) == 1


async def test_votes_that_cross_the_threshold_together_skip_once(
    world: World, gateway: GatewayProcess, stores: Stores, redis: Redis, keys: Keys
) -> None:
    await now_playing(world, stores, world.carol)
    await stores.settings.update(world.guild.id, vote_skip_percent=1)  # one vote of three
    handles = await asyncio.gather(*(invoke(world, "skip", member) for member in (world.alice, world.bob, world.dave)))
    texts = [text_of(await handle.reply()) for handle in handles]
    assert sum("Vote passed" in text for text in texts) == 1, texts
    assert sum("has passed already" in text for text in texts) == 2, texts
    assert await skips(redis, keys, world) == 1


async def test_the_skip_button_counts_like_skip(
    world: World, gateway: GatewayProcess, stores: Stores, redis: Redis, keys: Keys
) -> None:
    state = await now_playing(world, stores, world.carol)
    assert state.now_playing is not None
    started = TrackStarted(guild_id=world.guild.id, at_ms=1, text_channel_id=world.text.id, item=state.now_playing)
    await EventStore(redis, keys).publish(started)
    card = await world.fake.wait_for_message(world.text, lambda m: bool(m.embeds) and "Now playing" in text_of(m))
    first = await (await world.fake.click(card, "encore:np:skip", member=world.bob)).response()
    assert first.ephemeral and first.data["content"].endswith(NEEDS_ONE_MORE)
    assert "already voted" in await refused(world, "skip", world.bob)
    outside = await (await world.fake.click(card, "encore:np:skip", member=world.carol)).response()
    assert outside.ephemeral and f"Join <#{world.voice.id}>" in outside.data["content"]
    second = await (await world.fake.click(card, "encore:np:skip", member=world.dave)).response()
    assert second.data["content"].startswith("⏭ Vote passed (2 of 2 votes)")
    assert await skips(redis, keys, world) == 1


async def test_the_vote_skip_setting(world: World, gateway: GatewayProcess, stores: Stores) -> None:
    _, shown = await answer(world, "settings", world.carol, subcommand="show")
    assert "Vote skip: 50% of listeners" in text_of(shown)
    _, saved = await answer(world, "settings", world.admin, {"vote_skip": 75}, subcommand="set")
    assert "Vote skip: 75% of listeners" in text_of(saved) and saved.ephemeral
    assert (await stores.settings.get(world.guild.id)).vote_skip_percent == 75
    _, saved = await answer(world, "settings", world.admin, {"vote_skip": 0}, subcommand="set")
    assert "Vote skip: off" in text_of(saved)
    for bad in (101, -1, "half", 1.5, True):
        text = await refused(world, "settings", world.admin, {"vote_skip": bad}, subcommand="set")
        assert "`vote_skip` must be a whole number from 0 to 100" in text, (bad, text)
    assert "Manage Server" in await refused(world, "settings", world.alice, {"vote_skip": 10}, subcommand="set")
    assert await stores.settings.get(world.guild.id) == GuildSettings(vote_skip_percent=0)
