"""End to end: voice credentials forwarded for join, move and rejoin; kill -9 and restart; shards; Redis outage.

The test plays the worker's part in voice: it asks for joins, moves and leaves on the voice-request stream (with
its fence) and reads the forwarded VoiceCredentials and VoiceUpdateCommands, comparing them with what the fake
Discord handed out.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from gateway.stores.clients import Stores
from localdiscord.config import FakeConfig
from localdiscord.fake_discord import FakeDiscord
from shared.command_store import CommandStore
from shared.commands import PauseCommand, SkipCommand, VoiceUpdateCommand
from shared.event_store import EventStore
from shared.events import PlayerUpdated, TrackStarted, VoiceStateRequest
from shared.keys import Keys
from shared.models import PlayerState, VoiceCredentials
from shared.queue_store import QueueLimits
from shared.settings import GatewaySettings
from tests.factories import make_item
from tests.gateway.doubles import store_state
from tests.gateway.e2e import GatewayProcess, World, answer, bot_joins, build_world, custom_ids, invoke, text_of
from tests.services.processes import ServiceProcess
from tests.services.redis_server import RedisServer

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("resolver")]
FAST = {"ENCORE_GATEWAY__RATE_LIMIT_COMMANDS": "1000"}


@pytest.fixture
def fake_discord_config() -> FakeConfig:
    """Voice sessions of a dead gateway session end quickly, as they do on Discord after a while."""
    return FakeConfig(voice_grace=0.5)


@pytest.fixture
async def world(fake_discord: FakeDiscord) -> World:
    return await build_world(fake_discord)


@pytest.fixture
async def gateway(world: World, redis_url: str, redis: Redis, tmp_path: Path) -> AsyncIterator[GatewayProcess]:
    process = GatewayProcess(world.fake, redis_url, tmp_path / "gateway.log", FAST)
    try:
        yield await process.start()
    finally:
        await process.close()


async def voice_updates(redis: Redis, keys: Keys, guild_id: int) -> int:
    entries = await CommandStore(redis, keys).read_after(guild_id, "0-0")
    return sum(isinstance(entry.command, VoiceUpdateCommand) for entry in entries)


async def credentials_after(stores: Stores, guild_id: int, count: int, redis: Redis, keys: Keys) -> VoiceCredentials:
    """Wait until `count` voice updates were forwarded; the credentials stored with the last one."""
    deadline = time.monotonic() + 10
    while await voice_updates(redis, keys, guild_id) < count:
        assert time.monotonic() < deadline, "voice credentials were not forwarded"
        await asyncio.sleep(0.02)
    credentials = await stores.voice.credentials(guild_id)
    assert credentials is not None
    return credentials


def granted(world: World) -> tuple[str, str, int]:
    """What the fake Discord handed the bot: (session id, token, channel id)."""
    grant = world.fake.core.grants[(world.guild.id, world.fake.bot_user_id)]
    return grant.session_id, grant.token, grant.channel_id


async def test_credentials_for_join_move_endpoint_change_and_leave(
    world: World, gateway: GatewayProcess, stores: Stores, redis: Redis, keys: Keys
) -> None:
    guild = world.guild.id
    await bot_joins(world, stores, world.voice.id)
    joined = await credentials_after(stores, guild, 1, redis, keys)
    session_id, token, channel_id = granted(world)
    assert (joined.channel_id, joined.session_id, joined.token) == (world.voice.id, session_id, token)
    assert (joined.guild_id, joined.user_id) == (guild, world.fake.bot_user_id)
    assert joined.endpoint == world.fake.voice_endpoints[0] and channel_id == world.voice.id
    assert world.fake.gateway.sessions()[-1].id == session_id

    await bot_joins(world, stores, world.other_voice.id)
    moved = await credentials_after(stores, guild, 2, redis, keys)
    assert (moved.channel_id, moved.token) == (world.other_voice.id, granted(world)[1])
    assert moved.token != joined.token

    await world.fake.move_voice_endpoint(world.guild)
    migrated = await credentials_after(stores, guild, 3, redis, keys)
    assert migrated.endpoint == world.fake.voice_endpoints[1] and migrated.channel_id == world.other_voice.id

    await bot_joins(world, stores, None)
    left = await credentials_after(stores, guild, 4, redis, keys)
    assert left.channel_id is None and left.token is None
    assert await voice_updates(redis, keys, guild) == 4


async def test_requests_of_a_deposed_owner_are_ignored(
    world: World, gateway: GatewayProcess, stores: Stores, redis: Redis, keys: Keys
) -> None:
    old = await stores.leases.acquire(world.guild.id, "old-owner", 100)
    assert old is not None
    await asyncio.sleep(0.15)
    new = await stores.leases.acquire(world.guild.id, "new-owner", 60_000)
    assert new is not None
    stale = VoiceStateRequest(guild_id=world.guild.id, channel_id=world.voice.id, fence=old.fence, at_ms=_now())
    await stores.voice.request(stale)
    await asyncio.sleep(0.5)
    assert world.fake.world.voice_channel_of(world.guild, world.fake.bot_user_id) is None
    await bot_joins(world, stores, world.voice.id)
    assert await voice_updates(redis, keys, world.guild.id) == 1


def _now() -> int:
    return int(time.time() * 1000)


async def test_kill_and_restart_loses_nothing(
    world: World, gateway: GatewayProcess, stores: Stores, redis: Redis, keys: Keys
) -> None:
    """SIGKILL the gateway mid-session: state, buttons, search picks and voice all come back with a new process."""
    guild = world.guild.id
    await answer(world, "play", world.alice, {"query": "first song"})
    item = make_item(1, requester_id=world.alice.user.id)  # alice's own track: her /skip needs no vote
    state = PlayerState(now_playing=item, voice_channel_id=world.voice.id, text_channel_id=world.text.id)
    await store_state(stores, state, guild)
    await bot_joins(world, stores, world.voice.id)
    before = await credentials_after(stores, guild, 1, redis, keys)
    await EventStore(redis, keys).publish(
        TrackStarted(guild_id=guild, at_ms=_now(), text_channel_id=world.text.id, item=make_item(1))
    )
    np = await world.fake.wait_for_message(world.text, lambda m: bool(m.embeds))
    search = await invoke(world, "search", world.alice, {"query": "lofi"})
    results = await search.reply()

    await gateway.kill()
    assert gateway.service is not None and gateway.service.returncode() == -9
    await gateway.start()

    after = await credentials_after(stores, guild, 2, redis, keys)
    assert after.channel_id == world.voice.id
    assert after.session_id != before.session_id and after.token != before.token
    assert after.session_id == granted(world)[0]
    assert "`1.` [first song]" in text_of((await answer(world, "queue", world.carol))[1])
    skip_callback, skip = await answer(world, "skip", world.alice)
    assert skip.content.startswith("⏭ Skipped") and skip_callback.delay < 1.5
    click = await (await world.fake.click(np, "encore:np:toggle", member=world.alice)).response()
    assert click.data["content"] == "⏸ Paused."
    pick = await world.fake.click(results, custom_ids(results)[0], member=world.alice)
    assert (await pick.response()).type == 6
    await world.fake.wait_for_message(world.text, lambda m: m.id == results.id and "Queued" in m.content)
    await EventStore(redis, keys).publish(PlayerUpdated(guild_id=guild, at_ms=_now()))
    await world.fake.wait_for_message(world.text, lambda m: m.id == np.id and len(m.history) >= 2)
    assert len([m for m in world.fake.messages(world.text) if m.embeds and m.interaction_id is None]) == 1
    kinds = [type(e.command) for e in await CommandStore(redis, keys).read_after(guild, "0-0")]
    assert SkipCommand in kinds and PauseCommand in kinds
    assert await stores.queue.length(guild) == 2


async def test_sigterm_stops_cleanly(gateway: GatewayProcess) -> None:
    assert await gateway.stop() == 0
    assert "gateway stopped" in gateway.log()


async def test_refuses_to_start_without_a_token(redis_url: str, tmp_path: Path) -> None:
    env = {"ENCORE_DISCORD_TOKEN": "", "ENCORE_REDIS__URL": redis_url}
    process = await ServiceProcess("gateway", "gateway", env, tmp_path / "no-token.log").start()
    code = await process.wait(20)
    assert code not in (0, None)
    assert "Set ENCORE_DISCORD_TOKEN to the token of your bot" in process.log()


async def test_redis_outage_answers_try_again_and_recovers(world: World, tmp_path: Path) -> None:
    """Redis goes away under a running gateway: commands get an ephemeral 'try again', the process stays up, and
    everything works again (with the queue intact, thanks to the AOF) once Redis is back."""
    server = RedisServer(data_dir=tmp_path / "redis", appendonly=True).start()
    gateway = GatewayProcess(world.fake, server.url, tmp_path / "gateway.log", FAST)
    client: Redis = Redis.from_url(server.url)
    try:
        await Stores.build(client, Keys(), GatewaySettings(), search_providers=("youtube",)).queue.append(
            world.guild.id, [make_item(1)], limits=QueueLimits(10, 10)
        )
        await asyncio.sleep(1.2)  # appendfsync everysec
        await gateway.start()
        await server.astop(kill=True)
        callback, reply = await answer(world, "queue", world.alice)
        assert reply.ephemeral and "temporarily unavailable" in reply.content
        assert callback.delay < 2.5
        assert gateway.service is not None and gateway.service.running
        server.start()
        deadline = time.monotonic() + 15
        while True:
            callback, reply = await answer(world, "queue", world.alice)
            if not reply.ephemeral:
                break
            assert time.monotonic() < deadline, "the gateway did not recover after Redis came back"
            await asyncio.sleep(0.2)
        assert "`1.` [track 1]" in text_of(reply)
    finally:
        await gateway.close()
        await client.aclose()
        server.stop()


async def test_two_shards_share_the_work(
    fake_discord: FakeDiscord, redis_url: str, redis: Redis, keys: Keys, tmp_path: Path
) -> None:
    """Two gateway processes (shard 0 and shard 1 of 2) on one Redis: each answers and acts for its own guilds."""
    worlds = [await build_world(fake_discord) for _ in range(2)]
    while len({(w.guild.id >> 22) % 2 for w in worlds}) < 2:
        worlds.append(await build_world(fake_discord))
    by_shard = {(w.guild.id >> 22) % 2: w for w in worlds}
    processes = [
        GatewayProcess(
            fake_discord,
            redis_url,
            tmp_path / f"shard{shard}.log",
            {**FAST, "ENCORE_GATEWAY__SHARD_COUNT": "2", "ENCORE_GATEWAY__SHARD_IDS": str(shard)},
        )
        for shard in (0, 1)
    ]
    try:
        for process in processes:
            await process.start()
        stores = Stores.build(redis, keys, GatewaySettings(), search_providers=("youtube",))
        for shard, world in by_shard.items():
            callback, reply = await answer(world, "play", world.alice, {"query": f"song for shard {shard}"})
            assert reply.content.startswith("🎶 Queued") and callback.delay < 1.5
            await bot_joins(world, stores, world.voice.id)
            await EventStore(redis, keys).publish(
                TrackStarted(guild_id=world.guild.id, at_ms=_now(), text_channel_id=world.text.id, item=make_item(1))
            )
            await world.fake.wait_for_message(world.text, lambda m: bool(m.embeds))
        await asyncio.sleep(0.3)
        for shard, world in by_shard.items():
            assert len([m for m in world.fake.messages(world.text) if m.embeds and m.interaction_id is None]) == 1
            assert f"joining voice channel {world.voice.id}" in processes[shard].log()
            assert f"joining voice channel {world.voice.id}" not in processes[1 - shard].log()
    finally:
        for process in processes:
            await process.close()
