"""Redis restart with AOF (everysec): queues intact, nobody exits, playback continues, commands say "try again"."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from localdiscord.fake_discord import FakeDiscord
from tests.chaos.ledger import ledger
from tests.chaos.media import ChaosMedia
from tests.chaos.timeline import longest_gap, ramp_position_at
from tests.e2e.stack import Stack, started_stack
from tests.localdiscord.fixtures import NEXTCORD_WARNINGS
from tests.services.redis_server import RedisServer

pytestmark = [*NEXTCORD_WARNINGS, pytest.mark.e2e, pytest.mark.timeout(150)]

OUTAGE_S = 3.0
AOF_FSYNC_S = 1.2
"""appendfsync everysec: wait this long after the last write that must survive."""


@pytest.fixture
async def aof_redis(tmp_path: Path) -> AsyncIterator[RedisServer]:
    server = RedisServer(data_dir=tmp_path / "redis-aof", appendonly=True).start()
    try:
        yield server
    finally:
        await server.astop()


@pytest.fixture
async def aof_stack(fake_discord: FakeDiscord, aof_redis: RedisServer, tmp_path: Path) -> AsyncIterator[Stack]:
    async with (
        Redis.from_url(aof_redis.url, socket_timeout=5) as client,
        started_stack(fake_discord, client, aof_redis.url, tmp_path / "logs") as stack,
    ):
        yield stack


async def test_a_redis_restart_loses_nothing_and_playback_continues(
    aof_stack: Stack, aof_redis: RedisServer, chaos_media: ChaosMedia
) -> None:
    stack = aof_stack
    for name in ("ramp.mp3", "c250.mp3", "c350.mp3"):
        await stack.command("play", {"query": chaos_media.url(name)})
    await stack.hear(3.0)
    before = await ledger(stack.redis, stack.keys, stack.world.guild.id)
    owner = await stack.owner()
    await asyncio.sleep(AOF_FSYNC_S)

    down_at = stack.fake.clock()
    await aof_redis.astop()
    callback, reply = await stack.command("skip")
    print(f"\n/skip while Redis is down: {reply.content!r} (ephemeral: {callback.ephemeral})")
    assert "try again" in reply.content and callback.ephemeral, reply
    await asyncio.sleep(max(0.0, OUTAGE_S - (stack.fake.clock() - down_at)))
    await asyncio.to_thread(aof_redis.start)
    up_at = stack.fake.clock()
    await stack.hear(3.0, since=up_at)

    heard = stack.heard()
    gap = longest_gap(heard, down_at - 1.0, stack.fake.clock())
    drift = ramp_position_at(heard, stack.fake.clock()) - ramp_position_at(heard, down_at - 1.0)
    elapsed = stack.fake.clock() - (down_at - 1.0)
    print(f"Redis down {up_at - down_at:.2f} s: longest silence {gap.seconds * 1000:.0f} ms; "
          f"the ramp advanced {drift:.2f} s in {elapsed:.2f} s")  # fmt: skip
    assert gap.seconds < 0.3, f"playback stopped for {gap.seconds:.2f} s around the outage"
    assert abs(drift - elapsed) < 0.5, "the track went on at its own pace: no restart, no skip"
    assert await ledger(stack.redis, stack.keys, stack.world.guild.id) == before, "every queue entry is intact"
    assert await stack.owner() == owner, "the owner kept its guild"
    for process in [
        *stack.workers.values(),
        *([stack.gateway.service] if stack.gateway and stack.gateway.service else []),
    ]:
        assert process.running, f"{process.name} exited"

    _, reply = await stack.command("skip")
    assert "Skipped" in reply.content, reply
    await stack.until_state(lambda s: s.now_playing is not None and s.now_playing.track.title == "c250")
