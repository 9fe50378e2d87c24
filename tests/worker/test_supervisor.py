"""Supervisors against a real redis-server: claiming, spreading, takeover after a crash, graceful handoff.

The players here are minimal stand-ins that record what they are given; the real player is tested end to end.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from typing import override

import pytest
from redis.asyncio import Redis

from localdiscord.waiting import wait_until, wait_until_async
from shared.active_store import ActiveGuildStore
from shared.command_store import CommandStore, StreamEntry
from shared.commands import SkipCommand
from shared.keys import Keys
from shared.lease_store import LeaseStore
from tests.chaos.spies import KeyEvents
from tests.worker.configs import supervisor_config
from worker.ownership.supervisor import Supervisor, TrackedLease

LEASE_MS = 600


class RecordingPlayer:
    def __init__(self, guild_id: int, lease: TrackedLease, log: list[tuple[int, int, str]]) -> None:
        self.guild_id = guild_id
        self.lease = lease
        self.log = log
        self.cursor = "0-0"
        self.released = False
        self.halts: list[bool] = []
        self._halted = asyncio.Event()

    async def prepare(self) -> None:
        return None

    async def run(self) -> None:
        await self._halted.wait()

    def deliver(self, entries: list[StreamEntry]) -> None:
        for entry in entries:
            if self.lease.valid():
                self.log.append((self.guild_id, self.lease.fence, entry.entry_id))

    def halt(self, *, handoff: bool) -> None:
        self.halts.append(handoff)
        self._halted.set()


class Harness:
    def __init__(self, redis_url: str, keys: Keys) -> None:
        self.redis_url = redis_url
        self.keys = keys
        self.log: list[tuple[int, int, str]] = []
        self.players: list[RecordingPlayer] = []
        self.running: dict[str, tuple[Supervisor, asyncio.Task[None], list[Redis]]] = {}

    async def start(self, worker_id: str, *, scan_interval_ms: int = 50) -> Supervisor:
        clients = [Redis.from_url(self.redis_url), Redis.from_url(self.redis_url)]

        async def factory(guild_id: int, lease: TrackedLease) -> RecordingPlayer:
            player = RecordingPlayer(guild_id, lease, self.log)
            self.players.append(player)
            return player

        config = supervisor_config(worker_id=worker_id, lease_ms=LEASE_MS, scan_interval_ms=scan_interval_ms)
        supervisor = Supervisor(clients[0], clients[1], self.keys, config, factory)
        self.running[worker_id] = (supervisor, asyncio.create_task(supervisor.run()), clients)
        return supervisor

    async def crash(self, worker_id: str) -> None:
        """Like kill -9: everything stops, nothing is released."""
        _, task, clients = self.running.pop(worker_id)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        for client in clients:
            await client.aclose()

    async def stop(self, worker_id: str) -> None:
        supervisor, task, clients = self.running.pop(worker_id)
        await supervisor.shutdown()
        await asyncio.wait_for(task, 5)
        for client in clients:
            await client.aclose()

    async def close(self) -> None:
        for worker_id in list(self.running):
            await self.crash(worker_id)


@pytest.fixture
async def harness(redis_url: str, redis: Redis, keys: Keys) -> AsyncIterator[Harness]:
    harness = Harness(redis_url, keys)
    yield harness
    await harness.close()


async def _until(predicate: Callable[[], bool], limit_s: float = 5.0) -> float:
    """Seconds until `predicate` held."""
    start = time.monotonic()
    await wait_until(predicate, limit_s, "the supervisor condition")
    return time.monotonic() - start


async def test_guilds_spread_over_workers_and_each_has_one_owner(harness: Harness, redis: Redis, keys: Keys) -> None:
    first, second = await harness.start("w1"), await harness.start("w2")
    active = ActiveGuildStore(redis, keys)
    for guild_id in range(1, 21):
        await active.mark(guild_id)
    await _until(lambda: len(first.owned) + len(second.owned) == 20)
    assert not set(first.owned) & set(second.owned)
    assert abs(len(first.owned) - len(second.owned)) <= 6, (first.owned, second.owned)


async def test_a_guild_that_becomes_active_is_claimed_at_once_not_on_the_next_scan(
    harness: Harness, redis: Redis, keys: Keys
) -> None:
    async def settled() -> bool | None:
        # a Redis that just started holds back claims for one lease (owners of before its restart renew first)
        return (await redis.info("server"))["uptime_in_seconds"] * 1000 >= LEASE_MS + 1000 or None

    await wait_until_async(settled, 5.0, "redis-server up for more than a lease")
    supervisor = await harness.start("w1", scan_interval_ms=10_000)

    async def listening() -> bool | None:
        subscribers = dict(await redis.pubsub_numsub(keys.handoffs()))
        return bool(subscribers.get(keys.handoffs().encode())) or None

    await wait_until_async(listening, 5.0, "the supervisor listening for hints")
    await asyncio.sleep(0.2)  # its first scan, at start, has found nothing; the next one is ~10 s away
    await ActiveGuildStore(redis, keys).mark(11)
    await _until(lambda: 11 in supervisor.owned, limit_s=5.0)


async def test_crashed_owner_is_replaced_and_commands_apply_once(harness: Harness, redis: Redis, keys: Keys) -> None:
    await harness.start("w1")
    await ActiveGuildStore(redis, keys).mark(7)
    await _until(lambda: 7 in harness.running["w1"][0].owned)
    commands = CommandStore(redis, keys)
    first = await commands.append(7, SkipCommand())
    await _until(lambda: len(harness.log) == 1)
    second_worker = await harness.start("w2")
    await harness.crash("w1")
    takeover = await _until(lambda: 7 in second_worker.owned)
    assert takeover < (LEASE_MS + 600) / 1000
    # the stand-in player starts from "0-0", as a player whose checkpoint never included the command would
    second = await commands.append(7, SkipCommand())
    await _until(lambda: len(harness.log) == 3)
    owners = [(fence, entry) for _, fence, entry in harness.log]
    assert [entry for _, entry in owners] == [first, first, second]
    assert owners[0][0] < owners[1][0]
    assert not harness.players[-1].lease.handed_over, "a crashed owner announced nothing"


async def test_a_lost_lease_halts_the_player_of_that_guild_and_no_other(
    harness: Harness, redis: Redis, keys: Keys
) -> None:
    owner = await harness.start("w1")
    for guild_id in (1, 2, 3):
        await ActiveGuildStore(redis, keys).mark(guild_id)
    await _until(lambda: owner.owned == [1, 2, 3])
    await redis.delete(keys.lease(2))
    assert await LeaseStore(redis, keys).acquire(2, "w2", 60_000) is not None  # taken between two renewals
    players = {player.guild_id: player for player in harness.players}
    await _until(lambda: players[2].lease.lost)
    assert players[2].halts == [False], "stopped at once, no handoff"
    await asyncio.sleep(LEASE_MS / 1000)  # a few more renewals
    assert owner.owned == [1, 3]
    assert [players[g].halts for g in (1, 3)] == [[], []] and not (players[1].lease.lost or players[3].lease.lost)


async def test_graceful_shutdown_hands_over_fast(harness: Harness, redis: Redis, keys: Keys) -> None:
    await harness.start("w1")
    await ActiveGuildStore(redis, keys).mark(9)
    await _until(lambda: 9 in harness.running["w1"][0].owned)
    second_worker = await harness.start("w2")
    stopped_at = time.monotonic()
    await harness.stop("w1")
    await _until(lambda: 9 in second_worker.owned)
    assert time.monotonic() - stopped_at < LEASE_MS / 1000
    holder = await LeaseStore(redis, keys).holder(9)
    assert holder is not None
    assert holder.owner == "w2"


async def test_a_handoff_wakes_the_other_supervisors(harness: Harness, redis: Redis, keys: Keys) -> None:
    """With scans far apart, only the handoff hint can explain a claim right after the release."""
    await harness.start("w1", scan_interval_ms=50)
    await ActiveGuildStore(redis, keys).mark(11)
    await _until(lambda: 11 in harness.running["w1"][0].owned)
    second_worker = await harness.start("w2", scan_interval_ms=10_000)
    await asyncio.sleep(0.3)  # w2 subscribed and did its first scan (the guild was owned then)
    assert 11 not in second_worker.owned
    await harness.stop("w1")
    await _until(lambda: 11 in second_worker.owned, limit_s=2.0)
    assert harness.players[-1].lease.handed_over, "the new owner knows the guild was handed over, not lost"


async def test_an_unrenewed_lease_is_claimed_at_its_expiry_not_at_the_next_scan(
    harness: Harness, redis: Redis, keys: Keys
) -> None:
    """A scan that sees a lease about to expire times a claim for that moment (scans here are 10 s apart)."""
    while int((await redis.info("server"))["uptime_in_seconds"]) < 2:  # noqa: ASYNC110 - Redis must be settled
        await asyncio.sleep(0.1)
    leases = LeaseStore(redis, keys)
    await ActiveGuildStore(redis, keys).mark(12)
    assert await leases.acquire(12, "gone", 250) is not None  # an owner that will never renew
    second_worker = await harness.start("w2", scan_interval_ms=10_000)
    await _until(lambda: 12 in second_worker.owned, limit_s=2.0)
    holder = await leases.holder(12)
    assert holder is not None and holder.owner == "w2"


async def test_a_dead_peers_lease_is_freed_and_claimed_at_once_not_at_its_expiry(
    harness: Harness, redis: Redis, keys: Keys
) -> None:
    """What the peer watch reports (worker/ownership/peers.py): only the dead worker's lease is freed, by a script
    (`del`), and claimed under a higher fence; a lease that expired would show `expired` instead."""
    leases = LeaseStore(redis, keys)
    await harness.start("w1")
    await ActiveGuildStore(redis, keys).mark(13)
    await _until(lambda: 13 in harness.running["w1"][0].owned)
    second_worker = await harness.start("w2", scan_interval_ms=10_000)
    before = await leases.holder(13)
    assert before is not None
    await second_worker.peer_died("w9")
    assert await leases.holder(13) == before, "a worker that holds nothing frees nothing"
    async with KeyEvents(redis, keys.lease(13)) as lease_events:
        await harness.crash("w1")
        await second_worker.peer_died("w1")
        await _until(lambda: 13 in second_worker.owned, limit_s=2.0)
    assert lease_events.seen[:2] == ["del", "set"], lease_events.seen
    assert "expired" not in lease_events.seen, lease_events.seen
    holder = await leases.holder(13)
    assert holder is not None and holder.owner == "w2" and holder.fence > before.fence


async def test_a_dead_peers_guilds_are_split_among_the_survivors_not_taken_by_the_first(
    harness: Harness, redis: Redis, keys: Keys
) -> None:
    """Each survivor claims its share at once and the rest only 100 ms later: the one that hears of the death
    first does not take everything (a mass takeover on one worker stalls the guilds it already plays)."""
    await harness.start("w1")
    active = ActiveGuildStore(redis, keys)
    for guild_id in range(21, 27):
        await active.mark(guild_id)
    await _until(lambda: len(harness.running["w1"][0].owned) == 6)
    second = await harness.start("w2", scan_interval_ms=10_000)
    third = await harness.start("w3", scan_interval_ms=10_000)
    await asyncio.sleep(0.3)  # both beat and scanned once (everything was owned then)
    await harness.crash("w1")
    await second.peer_died("w1")
    await asyncio.sleep(0.02)
    await third.peer_died("w1")
    await _until(lambda: len(second.owned) + len(third.owned) == 6, limit_s=2.0)
    assert (len(second.owned), len(third.owned)) == (3, 3), (second.owned, third.owned)


class CrashingPlayer(RecordingPlayer):
    """Crashes (a bug, not a lost lease) on its first `crashes[0]` runs, counting down."""

    def __init__(self, guild_id: int, lease: TrackedLease, log: list[tuple[int, int, str]], crashes: list[int]) -> None:
        super().__init__(guild_id, lease, log)
        self._crashes = crashes

    @override
    async def run(self) -> None:
        if self._crashes[0] > 0:
            self._crashes[0] -= 1
            raise RuntimeError("a bug in the player")
        await super().run()


async def test_a_crashed_player_is_restarted_by_its_owner_without_giving_the_guild_away(
    harness: Harness, redis: Redis, keys: Keys
) -> None:
    crashes = [3]
    fences: list[int] = []

    async def factory(guild_id: int, lease: TrackedLease) -> RecordingPlayer:
        fences.append(lease.fence)
        return CrashingPlayer(guild_id, lease, harness.log, crashes)

    clients = [Redis.from_url(harness.redis_url), Redis.from_url(harness.redis_url)]
    config = supervisor_config(worker_id="w1", lease_ms=LEASE_MS, scan_interval_ms=50)
    owner = Supervisor(clients[0], clients[1], keys, config, factory)
    harness.running["w1"] = (owner, asyncio.create_task(owner.run()), clients)
    await ActiveGuildStore(redis, keys).mark(7)
    await _until(lambda: 7 in owner.owned)
    other = await harness.start("w2")  # ready to take the guild over, were it given away
    await _until(lambda: crashes[0] == 0 and len(fences) == 4, limit_s=10)
    assert fences == [1, 1, 1, 1], "every restart runs under the first lease"
    assert 7 in owner.owned and 7 not in other.owned
    await CommandStore(redis, keys).append(7, SkipCommand())
    await _until(lambda: len(harness.log) == 1)
    assert harness.log[0][:2] == (7, 1), "the restarted player gets the guild's commands"
    assert await redis.get(keys.fence(7)) == b"1", "nobody else ever acquired the lease"
