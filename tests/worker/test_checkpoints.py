"""Checkpoints batched into the lease renewals, against a real redis-server: fencing per guild in one batch, a
refusal reaches the player that offered it (and only it), and no checkpoint lands after a later write."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from redis.asyncio import Redis

from localdiscord.waiting import wait_until_async
from shared.active_store import ActiveGuildStore
from shared.command_store import CommandStore
from shared.commands import JoinCommand
from shared.event_store import EventStore
from shared.keys import Keys
from shared.lease_store import Lease, LeaseStore, RenewOutcome
from shared.models import PlayerState
from shared.player_store import PlayerStore
from shared.queue_store import QueueLimits, QueueStore
from shared.settings_store import SettingsStore
from shared.tick_store import TickStore
from tests.factories import make_item
from tests.worker.configs import player_config
from tests.worker.fakes import FakeAudio, FakeRelated, FakeStreams, FakeVoice, FixedLease
from worker.ownership.checkpoints import CheckpointBatcher
from worker.player.config import PlayerStores
from worker.player.guild_player import GuildPlayer

TTL_MS = 60_000


async def _leases(redis: Redis, keys: Keys, *guild_ids: int) -> list[Lease]:
    store = LeaseStore(redis, keys)
    leases = [await store.acquire(guild_id, "w1", TTL_MS) for guild_id in guild_ids]
    assert all(lease is not None for lease in leases)
    return [lease for lease in leases if lease is not None]


async def _take_over(redis: Redis, keys: Keys, guild_id: int) -> Lease:
    """Another worker takes the guild (its lease lapsed meanwhile): the fence moves on."""
    await redis.delete(keys.lease(guild_id))
    lease = await LeaseStore(redis, keys).acquire(guild_id, "w2", TTL_MS)
    assert lease is not None
    return lease


def _refusals(log: list[int], guild_id: int) -> Callable[[], None]:
    return lambda: log.append(guild_id)


async def test_a_stale_checkpoint_is_refused_and_the_rest_of_the_batch_lands(redis: Redis, keys: Keys) -> None:
    batcher, players = CheckpointBatcher(), PlayerStore(redis, keys)
    leases = await _leases(redis, keys, 1, 2, 3)
    thief = await _take_over(redis, keys, 2)
    assert await players.save(2, thief.fence, PlayerState(position_ms=9000, fence=thief.fence))
    refused: list[int] = []
    for lease in leases:
        state = PlayerState(position_ms=lease.guild_id * 1000, fence=lease.fence)
        await batcher.offer(lease.guild_id, lease.fence, state, _refusals(refused, lease.guild_id))
    outcomes = await batcher.flush(TickStore(redis, keys), leases, TTL_MS)
    assert outcomes == [RenewOutcome.RENEWED, RenewOutcome.LOST, RenewOutcome.RENEWED]
    assert refused == [2], "only the guild whose fence moved on is told"
    stored = [await players.load(guild_id) for guild_id in (1, 2, 3)]
    assert [s.position_ms if s else None for s in stored] == [1000, 9000, 3000]


async def test_a_write_drops_the_pending_checkpoint_and_waits_for_one_on_its_way(redis: Redis, keys: Keys) -> None:
    batcher, players, ticks = CheckpointBatcher(), PlayerStore(redis, keys), TickStore(redis, keys)
    (lease,) = await _leases(redis, keys, 1)
    never: list[int] = []
    await batcher.offer(1, lease.fence, PlayerState(position_ms=100, fence=lease.fence), _refusals(never, 1))
    await batcher.settle(1)  # a write of the player comes first: it carries what the checkpoint had
    await batcher.flush(ticks, [lease], TTL_MS)
    assert await players.load(1) is None, "the superseded checkpoint was not sent"
    await batcher.offer(1, lease.fence, PlayerState(position_ms=200, fence=lease.fence), _refusals(never, 1))
    flight = asyncio.create_task(batcher.flush(ticks, [lease], TTL_MS))
    await asyncio.sleep(0)  # the tick is on its way
    await batcher.settle(1)
    assert flight.done(), "the write waited for the checkpoint on its way"
    stored = await players.load(1)
    assert stored is not None and stored.position_ms == 200 and never == []


async def test_the_position_stored_is_where_the_track_is_at_the_tick(redis: Redis, keys: Keys) -> None:
    batcher, players, ticks = CheckpointBatcher(), PlayerStore(redis, keys), TickStore(redis, keys)
    (lease,) = await _leases(redis, keys, 1)
    playing: list[int | None] = [100]
    never: list[int] = []
    offered = PlayerState(position_ms=100, fence=lease.fence)
    await batcher.offer(1, lease.fence, offered, _refusals(never, 1), position=lambda: playing[0])
    playing[0] = 420  # the offer waited for the tick, the track played on
    await batcher.flush(ticks, [lease], TTL_MS)
    stored = await players.load(1)
    assert stored is not None and stored.position_ms == 420
    await batcher.offer(1, lease.fence, offered, _refusals(never, 1), position=lambda: playing[0])
    playing[0] = None  # the track of the offer no longer plays
    await batcher.flush(ticks, [lease], TTL_MS)
    stored = await players.load(1)
    assert stored is not None and stored.position_ms == 100, "the position of the offer, not of another track"


async def test_offers_of_guilds_not_renewed_are_dropped(redis: Redis, keys: Keys) -> None:
    batcher, ticks = CheckpointBatcher(), TickStore(redis, keys)
    kept, gone = await _leases(redis, keys, 1, 2)
    never: list[int] = []
    await batcher.offer(2, gone.fence, PlayerState(position_ms=5, fence=gone.fence), _refusals(never, 2))
    await batcher.flush(ticks, [kept], TTL_MS)  # guild 2 is no longer this worker's
    await batcher.flush(ticks, [kept, gone], TTL_MS)
    assert await PlayerStore(redis, keys).load(2) is None


@dataclass
class Played:
    player: GuildPlayer
    task: asyncio.Task[None]
    voice: FakeVoice


async def _play(redis: Redis, keys: Keys, guild_id: int, fence: int, batcher: CheckpointBatcher) -> Played:
    players = PlayerStore(redis, keys)
    stores = PlayerStores(
        players=players, queue=QueueStore(redis, keys), settings=SettingsStore(redis, keys),
        events=EventStore(redis, keys), commands=CommandStore(redis, keys), active=ActiveGuildStore(redis, keys),
        checkpoints=batcher,
    )  # fmt: skip
    voice = FakeVoice()
    player = GuildPlayer(
        guild_id, lease=FixedLease(fence), stores=stores, audio=FakeAudio(length_ms=60_000), voice=voice,
        streams=FakeStreams(), related=FakeRelated(), config=player_config(checkpoint_ms=50),
    )  # fmt: skip
    await player.prepare()
    task = asyncio.create_task(player.run())
    await stores.queue.append(guild_id, [make_item(guild_id)], limits=QueueLimits(100, 100))
    await stores.commands.append(guild_id, JoinCommand(voice_channel_id=guild_id + 1))
    player.deliver(await stores.commands.read_after(guild_id, player.cursor))
    return Played(player, task, voice)


async def _tick(batcher: CheckpointBatcher, ticks: TickStore, leases: list[Lease]) -> None:
    """The supervisor's renewal tick (every 50 ms here), renewal outcomes left aside: only the checkpoints speak."""
    while True:
        await batcher.flush(ticks, leases, TTL_MS)
        await asyncio.sleep(0.05)


async def _position(players: PlayerStore, guild_id: int) -> int:
    state = await players.load(guild_id)
    return state.position_ms if state else -1


async def test_a_refused_checkpoint_stops_the_player_that_offered_it_and_no_other(redis: Redis, keys: Keys) -> None:
    batcher, players = CheckpointBatcher(), PlayerStore(redis, keys)
    leases = await _leases(redis, keys, 10, 20)
    played = [await _play(redis, keys, lease.guild_id, lease.fence, batcher) for lease in leases]
    tick = asyncio.create_task(_tick(batcher, TickStore(redis, keys), leases))
    try:
        await wait_until_async(lambda: _gt(players, 10, 200), 5, "guild 10 checkpointed")
        await _take_over(redis, keys, 10)  # its player's lease view still says valid: only the fence knows
        await asyncio.wait_for(played[0].task, 5)
        assert played[0].voice.disconnects == [False], "fenced out: voice dropped, leaving is the new owner's call"
        at = await _position(players, 20)
        await wait_until_async(lambda: _gt(players, 20, at + 200), 5, "guild 20 checkpointed on")
        assert not played[1].task.done()
    finally:
        for task in (tick, *(p.task for p in played)):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _gt(players: PlayerStore, guild_id: int, position_ms: int) -> bool:
    return await _position(players, guild_id) > position_ms
