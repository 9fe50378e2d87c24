"""A worker's per-tick writes against a real redis-server: every guild fenced by its own token, one round trip."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, override

import pytest
from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.connection import Connection

from shared.keys import Keys
from shared.lease_store import Lease, LeaseStore, RenewOutcome
from shared.models import PlayerState
from shared.player_store import PlayerStore
from shared.tick_store import Checkpoint, TickResult, TickStore, TickWrite


class CountingConnection(Connection):
    """A real connection that counts its writes to the socket: one per round trip (a pipeline is one write)."""

    sends = 0

    @override
    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        CountingConnection.sends += 1
        await super().send_packed_command(command, check_health)


@pytest.fixture
async def counted(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_pool(ConnectionPool.from_url(redis_url, connection_class=CountingConnection))
    yield client
    await client.aclose()


async def _leases(redis: Redis, keys: Keys, *guild_ids: int) -> list[Lease]:
    store = LeaseStore(redis, keys)
    leases = [await store.acquire(guild_id, "w1", 5000) for guild_id in guild_ids]
    assert all(lease is not None for lease in leases)
    return [lease for lease in leases if lease is not None]


def _state(position_ms: int, fence: int) -> PlayerState:
    return PlayerState(position_ms=position_ms, fence=fence)


async def test_each_guild_is_renewed_and_checkpointed_under_its_own_token(redis: Redis, keys: Keys) -> None:
    players = PlayerStore(redis, keys)
    kept, lapsed, taken, quiet = await _leases(redis, keys, 1, 2, 3, 4)
    await redis.delete(keys.lease(2))  # expired, nobody took it
    await redis.delete(keys.lease(3))
    thief = await LeaseStore(redis, keys).acquire(3, "w2", 5000)
    assert thief is not None
    assert await players.save(3, thief.fence, _state(7000, thief.fence))
    writes = [
        TickWrite(kept, Checkpoint(kept.fence, _state(1000, kept.fence))),
        TickWrite(lapsed, Checkpoint(lapsed.fence, _state(2000, lapsed.fence))),
        TickWrite(taken, Checkpoint(taken.fence, _state(3000, taken.fence))),
        TickWrite(quiet),
    ]
    results = await TickStore(redis, keys).write(writes, 5000)
    assert results == [
        TickResult(RenewOutcome.RENEWED, True),
        TickResult(RenewOutcome.RESTORED, True),
        TickResult(RenewOutcome.LOST, False),
        TickResult(RenewOutcome.RENEWED, None),
    ]
    stored = [await players.load(guild_id) for guild_id in (1, 2, 3, 4)]
    assert [s.position_ms if s else None for s in stored] == [1000, 2000, 7000, None], "the stale one wrote nothing"
    assert await redis.pttl(keys.lease(2)) > 1000


async def test_a_tick_is_one_round_trip_of_one_script_call_per_guild(counted: Redis, redis: Redis, keys: Keys) -> None:
    leases = await _leases(redis, keys, *range(1, 11))
    store = TickStore(counted, keys)
    writes = [TickWrite(lease, Checkpoint(lease.fence, _state(n, lease.fence))) for n, lease in enumerate(leases)]
    await store.write(writes, 5000)  # the first tick may load the script
    await redis.config_resetstat()
    before = CountingConnection.sends
    results = await store.write(writes, 5000)
    assert CountingConnection.sends - before == 1, "one pipeline, no SCRIPT EXISTS before it"
    assert all(result == TickResult(RenewOutcome.RENEWED, True) for result in results)
    stats = await redis.info("commandstats")
    ours = {name: stat for name, stat in stats.items() if not name.startswith(("cmdstat_config", "cmdstat_info"))}
    ran = {name: stat["calls"] for name, stat in ours.items()}
    inside = {"cmdstat_get": 20, "cmdstat_pexpire": 10, "cmdstat_set": 10}  # what the scripts ran
    assert ran == {"cmdstat_evalsha": 10, **inside}, "one EVALSHA per guild, nothing else"


async def test_a_redis_that_lost_its_scripts_loads_them_and_writes_once(redis: Redis, keys: Keys) -> None:
    (lease,) = await _leases(redis, keys, 1)
    store = TickStore(redis, keys)
    await store.write([TickWrite(lease)], 5000)
    await redis.script_flush()  # as after a restart
    results = await store.write([TickWrite(lease, Checkpoint(lease.fence, _state(500, lease.fence)))], 5000)
    assert results == [TickResult(RenewOutcome.RENEWED, True)]
    stored = await PlayerStore(redis, keys).load(1)
    assert stored is not None and stored.position_ms == 500
