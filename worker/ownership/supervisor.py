"""Guild ownership in one worker: claim active guilds under fenced leases, renew them, self-fence, hand off.

Every worker runs one supervisor beside arq's job loop. Less-loaded workers claim first: a worker waits a little
per guild it already plays more than the least-loaded live worker, so new guilds spread across replicas.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final, Protocol

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from shared import clock
from shared.active_store import ActiveGuildStore
from shared.command_store import CommandStore, StreamEntry
from shared.keys import Keys
from shared.lease_store import LeaseStore, RenewOutcome
from shared.redis_typing import aw
from shared.settings import WorkerSettings
from shared.tasks import TaskOwner
from shared.tick_store import TickStore
from worker.ownership.checkpoints import CheckpointBatcher
from worker.ownership.leases import TrackedLease

__all__ = ["OwnedPlayer", "PlayerFactory", "Supervisor", "SupervisorConfig", "TrackedLease"]

_log: Final = logging.getLogger(__name__)

_BALANCE_DELAY_S: Final = 0.05
_WORKER_TTL_S: Final = 10.0
_FRESH_MS: Final = 2000
_NO_KEY: Final = -2
"""PTTL of a missing key."""
_EXPIRY_MARGIN_S: Final = 0.002
_SETTLE_MARGIN_MS: Final = 500
_TAKEOVER_MAX_DELAY_S: Final = 0.1
_RESTART_BACKOFF_S: Final = (0.5, 30.0)
"""A crashed player is rebuilt after the first delay, doubling for each crash in a row up to the second."""
_STABLE_RUN_S: Final = 60.0
"""A player that ran this long before it crashed starts the backoff over."""


class OwnedPlayer(Protocol):
    """What the supervisor needs of a guild player."""

    @property
    def cursor(self) -> str: ...

    @property
    def released(self) -> bool: ...

    async def prepare(self) -> None: ...

    async def run(self) -> None: ...

    def deliver(self, entries: list[StreamEntry]) -> None: ...

    def halt(self, *, handoff: bool) -> None: ...


PlayerFactory = Callable[[int, TrackedLease], Awaitable[OwnedPlayer]]


@dataclass(frozen=True, slots=True)
class SupervisorConfig:
    """Filled only by `from_settings` (WorkerSettings documents each field)."""

    worker_id: str
    lease_ms: int
    scan_interval_ms: int
    max_guilds: int
    outage_grace_ms: int
    """How long owners keep playing while Redis is down (see TrackedLease)."""

    @classmethod
    def from_settings(cls, settings: WorkerSettings) -> SupervisorConfig:
        return cls(
            worker_id=settings.worker_id,
            lease_ms=settings.lease_ms,
            scan_interval_ms=settings.scan_interval_ms,
            max_guilds=settings.max_guilds,
            outage_grace_ms=settings.outage_grace_ms,
        )


@dataclass
class _Owned:
    lease: TrackedLease
    player: OwnedPlayer
    """The guild's current player: a crashed one is replaced by a fresh one under the same lease."""
    task: asyncio.Task[None] | None = None

    def done(self) -> bool:
        return self.task is not None and self.task.done()


class Supervisor:
    def __init__(  # noqa: PLR0913 - a composition point: its clients and collaborators are injected
        self,
        redis: Redis,
        blocking_redis: Redis,
        keys: Keys,
        config: SupervisorConfig,
        player_factory: PlayerFactory,
        *,
        lease_redis: Redis | None = None,
        checkpoints: CheckpointBatcher | None = None,
    ) -> None:
        """`lease_redis` renews leases; give it no retries and a short timeout so an outage shows at once.
        `checkpoints` are the players' (sent with the renewals: one round trip per tick for all owned guilds)."""
        self._redis = redis
        self._keys = keys
        self._config = config
        self._leases = LeaseStore(redis, keys)
        self._ticks = TickStore(lease_redis or redis, keys)
        self._checkpoints = checkpoints or CheckpointBatcher()
        self._active = ActiveGuildStore(redis, keys)
        self._blocking = blocking_redis
        self._commands = CommandStore(blocking_redis, keys)
        self._player_factory = player_factory
        self._owned: dict[int, _Owned] = {}
        self._stopping = False
        self._claims = TaskOwner()
        self._timed_claims: set[int] = set()
        self._dead: set[str] = set()
        """Workers whose process is known to be gone (worker/ownership/peers.py): not counted when balancing."""
        self._wake = asyncio.Event()
        self._stopped = asyncio.Event()
        self._rng = random.Random()  # noqa: S311 - jitter, not security

    @property
    def owned(self) -> list[int]:
        return sorted(self._owned)

    async def run(self) -> None:
        """Scan, renew and pump commands until `shutdown()`; survives Redis outages."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self._every(self._config.lease_ms / 4000, self._renew_all), name="renew")
            group.create_task(self._every(self._config.scan_interval_ms / 1000, self._scan, self._wake), name="scan")
            group.create_task(self._pump_commands(), name="commands")
            group.create_task(self._listen_for_handoffs(), name="handoffs")

    async def _every(
        self, interval_s: float, step: Callable[[], Awaitable[None]], wake: asyncio.Event | None = None
    ) -> None:
        """Run `step` every `interval_s` (±20 %), or as soon as `wake` is set."""
        while not self._stopping:
            try:
                await step()
            except (RedisError, OSError) as exc:
                _log.warning("%s failed: %s", step.__name__, exc)
            delay = interval_s * self._rng.uniform(0.8, 1.2)
            if wake is None:
                await asyncio.sleep(delay)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), delay)
            wake.clear()

    async def _listen_for_handoffs(self) -> None:
        """A worker that released guilds says so: scan at once instead of on the next tick (a hint, nothing more)."""
        while not self._stopping:
            try:
                async with self._blocking.pubsub() as pubsub:
                    await pubsub.subscribe(self._keys.handoffs())
                    while not self._stopping:
                        message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                        if message is not None:
                            self._wake.set()
            except (RedisError, OSError) as exc:
                _log.warning("handoff hints unavailable: %s", exc)
                await asyncio.sleep(1.0)

    async def _renew_all(self) -> None:
        """Renew every owned lease, with the checkpoints its players offered, in one round trip; a lost lease
        halts its player at once (a refused checkpoint stops its player too: worker/ownership/checkpoints.py)."""
        for guild_id, owned in list(self._owned.items()):
            if owned.done():
                await self._forget(guild_id, owned)
        renewing = list(self._owned.items())
        if renewing:
            sent_at = time.monotonic()
            try:
                leases = [o.lease.lease for _, o in renewing]
                outcomes = await self._checkpoints.flush(self._ticks, leases, self._config.lease_ms)
            except RedisConnectionError:
                for _, owned in renewing:
                    owned.lease.redis_down(sent_at)
                raise
            for (guild_id, owned), outcome in zip(renewing, outcomes, strict=True):
                if outcome is RenewOutcome.LOST:
                    _log.warning("lease lost", extra={"guild_id": guild_id})
                    owned.lease.lost = True
                    owned.player.halt(handoff=False)
                else:
                    owned.lease.renewed(sent_at)
        await self._heartbeat()

    async def _forget(self, guild_id: int, owned: _Owned) -> None:
        self._owned.pop(guild_id, None)
        if owned.player.released and not owned.lease.lost:
            with contextlib.suppress(RedisError, OSError):
                await self._leases.release(owned.lease.lease)
        if owned.task is not None and (error := owned.task.exception()) is not None:
            _log.error("player supervision failed: %r", error, extra={"guild_id": guild_id}, exc_info=error)

    async def _heartbeat(self) -> None:
        now_ms = clock.now_ms()
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.zadd(self._keys.workers(), {self._config.worker_id: now_ms})
            pipe.set(self._keys.worker_load(self._config.worker_id), len(self._owned), ex=int(_WORKER_TTL_S))
            pipe.zremrangebyscore(self._keys.workers(), 0, now_ms - _WORKER_TTL_S * 1000)
            await pipe.execute()

    async def _live_loads(self) -> dict[str, int]:
        """Guilds per live worker (a heartbeat within 2 s, not known to be dead), this one included."""
        fresh_after = clock.now_ms() - _FRESH_MS
        workers = await aw(self._redis.zrangebyscore(self._keys.workers(), fresh_after, "+inf"))
        others = [w.decode() for w in workers if w.decode() not in (self._config.worker_id, *self._dead)]
        loads = await aw(self._redis.mget([self._keys.worker_load(w) for w in others])) if others else []
        return {
            **{w: int(load or 0) for w, load in zip(others, loads, strict=True)},
            self._config.worker_id: len(self._owned),
        }

    async def _least_other_load(self) -> int | None:
        """The load of the least-loaded other live worker (None if there is none)."""
        loads = await self._live_loads()
        loads.pop(self._config.worker_id)
        return min(loads.values(), default=None)

    def _may_claim(self) -> bool:
        return not self._stopping and len(self._owned) < self._config.max_guilds

    async def _scan(self) -> None:
        """Claim active guilds nobody holds; a lease about to expire gets a claim attempt timed for its expiry."""
        if not self._may_claim():
            return
        candidates = [gid for gid in await self._active.all() if gid not in self._owned]
        if not candidates:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for guild_id in candidates:
                pipe.pttl(self._keys.lease(guild_id))
            ttls: list[int] = await pipe.execute()
        free = [gid for gid, ttl in zip(candidates, ttls, strict=True) if ttl == _NO_KEY]
        window_ms = self._config.scan_interval_ms * 1.5
        expiring = [(gid, ttl) for gid, ttl in zip(candidates, ttls, strict=True) if 0 < ttl <= window_ms]
        if (free or expiring) and not await self._redis_settled():
            return
        for guild_id, ttl in expiring:
            if guild_id not in self._timed_claims:
                self._timed_claims.add(guild_id)
                self._claims.spawn(self._claim_at_expiry(guild_id, ttl), name=f"claim-{guild_id}")
        self._rng.shuffle(free)
        for guild_id in free:
            await self._claim_balanced(guild_id)

    async def _redis_settled(self) -> bool:
        """False just after Redis restarted: leases expired during the outage, and their owners (still playing)
        get one lease period to renew them before anybody else may claim."""
        uptime_s = int((await self._redis.info("server")).get("uptime_in_seconds", 0))
        return uptime_s * 1000 >= self._config.lease_ms + _SETTLE_MARGIN_MS

    async def _claim_at_expiry(self, guild_id: int, ttl_ms: int) -> None:
        """A lease that is not renewed expires at a known time: try to claim right then instead of a scan later."""
        try:
            await asyncio.sleep(ttl_ms / 1000 + _EXPIRY_MARGIN_S)
            await self._claim_balanced(guild_id, max_delay_s=_TAKEOVER_MAX_DELAY_S)
        finally:
            self._timed_claims.discard(guild_id)

    def peer_alive(self, worker_id: str) -> None:
        self._dead.discard(worker_id)

    async def peer_died(self, worker_id: str) -> None:
        """A peer's process is gone: free the leases it still holds (checked against their holder in one script) and
        claim them at once, under a new fence as always. Every survivor splits the guilds the same way, one at a
        time to the least-loaded live worker, and claims its share first; the rest 100 ms later, in case their
        worker did not (a mass takeover must not land on one worker: its event loop paces all its guilds)."""
        self._dead.add(worker_id)
        try:
            held = await self._leases.held_by([g for g in await self._active.all() if g not in self._owned], worker_id)
            loads = await self._live_loads() if held else {}
        except (RedisError, OSError) as exc:
            _log.warning("could not free the leases of %s (they will expire): %s", worker_id, exc)
            return
        for guild_id in sorted(held):
            first = min(loads, key=lambda w: (loads[w], w))
            loads[first] += 1
            wait_s = 0.0 if first == self._config.worker_id else _TAKEOVER_MAX_DELAY_S
            self._claims.spawn(self._claim_from_dead(guild_id, worker_id, wait_s), name=f"claim-{guild_id}")

    async def _claim_from_dead(self, guild_id: int, worker_id: str, wait_s: float) -> None:
        """Free and claim one guild; another survivor's share is left alone for `wait_s` (it frees it itself)."""
        if wait_s:
            await asyncio.sleep(wait_s)
        if await self._leases.release_dead(guild_id, worker_id):
            _log.info("freed the lease of %s, whose process is gone", worker_id, extra={"guild_id": guild_id})
        if self._may_claim() and guild_id not in self._owned:
            await self._try_claim(guild_id)

    async def _claim_balanced(self, guild_id: int, *, max_delay_s: float | None = None) -> None:
        """Claim unless owned or full; a worker busier than the least-loaded one waits a little so that one wins.

        A takeover waits at most `max_delay_s`: the guild is silent meanwhile, and the least-loaded worker is often
        one that was just restarted and not claiming yet."""
        if not self._may_claim() or guild_id in self._owned:
            return
        least = await self._least_other_load()
        if least is not None and len(self._owned) > least:
            cap = self._config.lease_ms / 3000 if max_delay_s is None else max_delay_s
            await asyncio.sleep(min((len(self._owned) - least) * _BALANCE_DELAY_S, cap))
        if self._may_claim() and guild_id not in self._owned:
            await self._try_claim(guild_id)

    async def _try_claim(self, guild_id: int) -> None:
        sent_at = time.monotonic()
        lease = await self._leases.acquire(guild_id, self._config.worker_id, self._config.lease_ms)
        if lease is None:
            return
        tracked = TrackedLease(
            lease, self._config.lease_ms, sent_at, outage_grace_ms=self._config.outage_grace_ms,
            handed_over=lease.after_handoff,
        )  # fmt: skip
        _log.info("claimed guild with fence %d", lease.fence, extra={"guild_id": guild_id})
        try:
            player = await self._player_factory(guild_id, tracked)
            await player.prepare()
        except (RedisError, OSError) as exc:
            _log.warning("could not start the player: %s", exc, extra={"guild_id": guild_id})
            await self._leases.release(lease)
            return
        owned = self._owned[guild_id] = _Owned(tracked, player)
        owned.task = asyncio.create_task(self._keep_running(guild_id, owned), name=f"player-{guild_id}")
        await aw(
            self._redis.set(self._keys.worker_load(self._config.worker_id), len(self._owned), ex=int(_WORKER_TTL_S))
        )

    async def _keep_running(self, guild_id: int, owned: _Owned) -> None:
        """Run the guild's player until it releases the guild or loses it; a player that crashes (for any reason)
        is rebuilt from the stored state after a backoff, under the same lease. The guild is not given away: the
        next owner would meet the same failure, and a takeover costs the guild seconds of silence each time."""
        crashes = 0
        while not (owned.lease.lost or self._stopping):
            started = time.monotonic()
            try:
                await owned.player.run()
                return
            except Exception as exc:  # noqa: BLE001 - whatever broke the player, its owner restarts it
                crashes = 1 if time.monotonic() - started >= _STABLE_RUN_S else crashes + 1
                delay = min(_RESTART_BACKOFF_S[1], _RESTART_BACKOFF_S[0] * 2 ** (crashes - 1))
                extra = {"guild_id": guild_id}
                _log.error(
                    "player crashed (%d in a row), restarting in %.1f s", crashes, delay, extra=extra, exc_info=exc
                )
            await self._restart(guild_id, owned, delay)

    async def _restart(self, guild_id: int, owned: _Owned, delay: float) -> None:
        """Wait `delay`, then put a fresh player (prepared from the stored state) in place of the crashed one."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopped.wait(), delay)
            if owned.lease.lost or self._stopping:
                return
            try:
                player = await self._player_factory(guild_id, owned.lease)
                await player.prepare()
            except (RedisError, OSError) as exc:
                _log.warning("could not restart the player: %s", exc, extra={"guild_id": guild_id})
                delay = min(_RESTART_BACKOFF_S[1], delay * 2)
                continue
            owned.player = player
            return

    async def _pump_commands(self) -> None:
        """One blocking XREAD for all owned guilds; entries go to each player's inbox in order.

        Read positions belong to a player, not to a guild: when a guild's player ends and a new one (of this or
        another lease) takes its place, the new player is read from its own committed cursor.
        """
        read_from: dict[int, tuple[OwnedPlayer, str]] = {}
        while not self._stopping:
            readers = {gid: owned.player for gid, owned in self._owned.items()}
            cursors = {
                gid: position if (known := read_from.get(gid)) and known[0] is player and (position := known[1])
                else player.cursor
                for gid, player in readers.items()
            }  # fmt: skip
            if not cursors:
                await asyncio.sleep(0.05)
                continue
            try:
                found = await self._commands.wait_many(cursors, block_ms=100)
            except (RedisError, OSError) as exc:
                _log.warning("reading commands failed: %s", exc)
                await asyncio.sleep(0.2)
                continue
            read_from = {gid: (player, cursors[gid]) for gid, player in readers.items()}
            for guild_id, entries in found.items():
                owned = self._owned.get(guild_id)
                if owned is not None and entries and owned.player is readers[guild_id]:
                    owned.player.deliver(list(entries))
                    read_from[guild_id] = (owned.player, entries[-1].entry_id)

    async def shutdown(self, *, timeout_s: float = 5.0) -> None:
        """Graceful handoff: every player checkpoints at a safe point, then the leases are released."""
        self._stopping = True
        self._stopped.set()
        await self._claims.aclose()
        for owned in self._owned.values():
            owned.player.halt(handoff=True)
        tasks = [owned.task for owned in self._owned.values() if owned.task is not None]
        if tasks:
            await asyncio.wait(tasks, timeout=timeout_s)
        released: list[int] = []
        for guild_id, owned in list(self._owned.items()):
            self._owned.pop(guild_id, None)
            if not owned.lease.lost:
                with contextlib.suppress(RedisError, OSError):
                    if await self._leases.release(owned.lease.lease, handoff=True):
                        released.append(guild_id)
        with contextlib.suppress(RedisError, OSError):
            await aw(self._redis.zrem(self._keys.workers(), self._config.worker_id))
            if released:
                await aw(self._redis.publish(self._keys.handoffs(), " ".join(map(str, released))))
