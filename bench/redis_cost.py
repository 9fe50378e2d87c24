"""Redis cost per playing guild: its position checkpoints and its owner's lease renewals, against one redis-server.

Simulates N playing guilds without audio, spread over worker processes, through the real stores at the real cadence
(the Settings defaults: a checkpoint every `checkpoint_interval_ms`, renewals every `lease_ms / 4` ± 20 %):

- `per-guild` (as before issue 13): each guild's checkpoint is its own round trip (`PlayerStore.save`), the
  renewals one pipeline per worker (`LeaseStore.renew_many`, which redis-py precedes with a SCRIPT EXISTS);
- `batched` (now): each guild offers its checkpoint to the worker's `CheckpointBatcher`, and every tick sends all
  renewals with the checkpoints due in one pipeline of one EVALSHA per guild (`TickStore`);
- `batched+scan`: `batched` plus each worker's real supervisor scan (`Supervisor._scan`), the claim path's share.

Redis runs with the AOF on (`appendfsync everysec`, as deployed). Over a window after a warm-up it reads Redis's own
CPU (INFO CPU `used_cpu_sys + used_cpu_user`: the whole server process), its commands (INFO commandstats: the
scripts' calls, and what they ran inside) and its read events (round trips), and from the simulated workers what
they achieved (checkpoints per guild per second, ticks). The guilds one core holds below 50 % CPU are extrapolated
from a least-squares line through the measured points.

    PYTHONPATH=. .venv/bin/python -m bench.redis_cost [--guilds 500,1000,2000] [--workers 2] [--window-s 10]
        [--modes per-guild,batched,batched+scan] [--no-aof]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import random
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, cast

from redis import Redis as SyncRedis
from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.active_store import ActiveGuildStore
from shared.clock import now_ms
from shared.keys import Keys
from shared.lease_store import Lease, LeaseStore
from shared.models import PlayerState, QueueItem, Track
from shared.player_store import PlayerStore
from shared.settings import WorkerSettings
from shared.tick_store import TickStore
from tests.services.redis_server import RedisServer
from worker.ownership.checkpoints import CheckpointBatcher
from worker.ownership.supervisor import OwnedPlayer, Supervisor, SupervisorConfig, TrackedLease

MODES: Final = ("per-guild", "batched")
SCAN: Final = "batched+scan"
"""`batched`, plus each worker's supervisor scan (`Supervisor._scan`, every `scan_interval_ms` ± 20 %): the claim
path's cost, which grows with all active guilds times the workers (each scan reads the lease TTL of every guild
the worker does not own)."""
WARMUP_S: Final = 4.0
TAIL_S: Final = 1.0


@dataclass(frozen=True, slots=True)
class Plan:
    url: str
    mode: str
    worker: int
    guild_ids: tuple[int, ...]
    lease_ms: int
    checkpoint_ms: int
    scan_ms: int
    window: tuple[float, float]
    """Wall-clock start and end of the measured window."""


@dataclass
class Counters:
    checkpoints: int = 0
    ticks: int = 0
    refused: int = 0
    failed_ticks: int = 0


def playing_state(guild_id: int) -> PlayerState:
    """A typical playing guild's state (a YouTube video from a search, in a voice and a text channel)."""
    track = Track(
        url=f"https://www.youtube.com/watch?v=dQw4w{guild_id % 100_000:06d}",
        title="Rick Astley - Never Gonna Give You Up (Official Music Video)",
        duration_ms=213_000,
        artist="Rick Astley",
        source_id=f"dQw4w{guild_id % 100_000:06d}",
        extractor="youtube",
    )
    item = QueueItem(uid=f"{guild_id:032x}", track=track, requester_id=412_345_678_901_234_567 + guild_id)
    return PlayerState(
        now_playing=item,
        voice_channel_id=812_345_678_901_234_567 + guild_id,
        text_channel_id=912_345_678_901_234_567 + guild_id,
        cursor=f"{now_ms()}-0",
    )


class SimulatedWorker:
    """One worker's guilds: each checkpoints on its own timer, the worker renews all of them on its tick."""

    def __init__(self, plan: Plan, redis: Redis, lease_redis: Redis) -> None:
        self.plan = plan
        self.keys = Keys()
        self.players = PlayerStore(redis, self.keys)
        self.renewals = LeaseStore(lease_redis, self.keys)
        self.ticks = TickStore(lease_redis, self.keys)
        self.batcher = CheckpointBatcher()
        self.counters = Counters()
        self.rng = random.Random(plan.worker)
        self.stopping = False

    def refused(self) -> None:
        self.counters.refused += 1

    async def guild(self, lease: Lease) -> None:
        interval_s = self.plan.checkpoint_ms / 1000
        base = playing_state(lease.guild_id)
        await asyncio.sleep(self.rng.uniform(0, interval_s))
        started = time.monotonic()

        def playing_at() -> int:
            return int((time.monotonic() - started) * 1000)

        while not self.stopping:
            await asyncio.sleep(interval_s)
            position = playing_at()
            state = base.model_copy(update={"position_ms": position, "fence": lease.fence, "updated_at_ms": now_ms()})
            if self.plan.mode == "per-guild":
                if not await self.players.save(lease.guild_id, lease.fence, state):
                    self.refused()
            else:
                await self.batcher.offer(lease.guild_id, lease.fence, state, self.refused, position=playing_at)
            self.counters.checkpoints += 1

    async def tick(self, leases: list[Lease]) -> None:
        interval_s = self.plan.lease_ms / 4000
        while not self.stopping:
            try:
                if self.plan.mode == "per-guild":
                    await self.renewals.renew_many(leases, self.plan.lease_ms)
                else:
                    await self.batcher.flush(self.ticks, leases, self.plan.lease_ms)
                self.counters.ticks += 1
            except (RedisError, OSError):  # as the supervisor's loop: the next tick tries again
                self.counters.failed_ticks += 1
            await asyncio.sleep(interval_s * self.rng.uniform(0.8, 1.2))

    async def scan(self, redis: Redis) -> None:
        """The real supervisor's scan (its players are not this bench's: it owns nothing, so it reads every TTL)."""
        config = SupervisorConfig(
            worker_id=f"bench-{self.plan.worker}", lease_ms=self.plan.lease_ms, scan_interval_ms=self.plan.scan_ms,
            max_guilds=1_000_000, outage_grace_ms=0,
        )  # fmt: skip
        supervisor = Supervisor(redis, redis, self.keys, config, _no_players)
        interval_s = self.plan.scan_ms / 1000
        while not self.stopping:
            await supervisor._scan()  # the claim path's Redis calls, as the supervisor makes them
            await asyncio.sleep(interval_s * self.rng.uniform(0.8, 1.2))


async def _no_players(guild_id: int, lease: TrackedLease) -> OwnedPlayer:
    raise AssertionError(f"the bench's scan claimed guild {guild_id}: its leases are held")


async def _acquire(redis: Redis, plan: Plan) -> list[Lease]:
    store = LeaseStore(redis, Keys())
    leases = [await store.acquire(gid, f"bench-{plan.worker}", plan.lease_ms) for gid in plan.guild_ids]
    return [lease for lease in leases if lease is not None]


async def _run_worker(plan: Plan) -> dict[str, float]:
    redis = Redis.from_url(plan.url, socket_timeout=5)
    lease_redis = Redis.from_url(plan.url, socket_timeout=plan.lease_ms / 4000)
    worker = SimulatedWorker(plan, redis, lease_redis)
    leases = await _acquire(redis, plan)
    tasks = [asyncio.create_task(worker.guild(lease)) for lease in leases]
    tasks.append(asyncio.create_task(worker.tick(leases)))
    if plan.mode == SCAN:
        active = ActiveGuildStore(redis, Keys())
        for guild_id in plan.guild_ids:
            await active.mark(guild_id)
        tasks.append(asyncio.create_task(worker.scan(redis)))
    start, end = plan.window
    await asyncio.sleep(max(0.0, start - time.time()))
    at_start, cpu_start = Counters(**vars(worker.counters)), time.process_time()
    await asyncio.sleep(max(0.0, end - time.time()))
    at_end, cpu_end = Counters(**vars(worker.counters)), time.process_time()
    await asyncio.sleep(TAIL_S)
    worker.stopping = True
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await redis.aclose()
    await lease_redis.aclose()
    return {
        "guilds": len(leases),
        "checkpoints": at_end.checkpoints - at_start.checkpoints,
        "ticks": at_end.ticks - at_start.ticks,
        "refused": at_end.refused,
        "failed_ticks": at_end.failed_ticks - at_start.failed_ticks,
        "cpu_s": cpu_end - cpu_start,
    }


def _worker_process(plan: Plan, results: Any) -> None:
    results.put(asyncio.run(_run_worker(plan)))


@dataclass(frozen=True, slots=True)
class Snapshot:
    cpu_s: float
    calls: dict[str, int]
    reads: int


def snapshot(client: SyncRedis) -> Snapshot:
    cpu = cast(dict[str, Any], client.info("cpu"))
    stats = cast(dict[str, dict[str, Any]], client.info("commandstats"))
    reads = int(cast(dict[str, Any], client.info("stats"))["total_reads_processed"])
    calls = {name.removeprefix("cmdstat_"): int(stat["calls"]) for name, stat in stats.items()}
    return Snapshot(float(cpu["used_cpu_sys"]) + float(cpu["used_cpu_user"]), calls, reads)


@dataclass(frozen=True, slots=True)
class Point:
    mode: str
    guilds: int
    window_s: float
    redis_cpu: float
    """Share of one core."""
    calls: dict[str, float]
    """Per second, by command (the scripts' own calls and what they ran inside)."""
    reads_per_s: float
    checkpoints_per_guild_s: float
    ticks_per_worker_s: float
    worker_cpu: float
    """The simulated workers' own CPU (all of them), share of one core."""
    refused: int
    failed_ticks: int
    """Ticks whose pipeline failed (the lease client's timeout is a quarter of the lease)."""
    load: float
    """The machine's 1-minute load average at the end of the window (it is shared)."""
    expected: tuple[float, float]
    """Checkpoints per guild and ticks per worker per second at the configured cadence."""

    @property
    def per_guild_us(self) -> float:
        return self.redis_cpu / self.guilds * 1e6

    @property
    def scaled_us(self) -> float:
        """Redis CPU per guild scaled to the configured cadence by the script calls the workers achieved (fewer calls
        than configured, when the simulated workers or the tick's own time fell behind)."""
        checkpoints, ticks = self.expected
        configured = ticks + (checkpoints if self.mode == "per-guild" else 0.0)
        return self.per_guild_us * configured / max(1e-9, self.client_calls_per_s / self.guilds)

    @property
    def kept_up(self) -> bool:
        """Whether the simulated workers held the cadence (a point where they did not understates Redis's load)."""
        checkpoints, ticks = self.expected
        held = self.checkpoints_per_guild_s >= 0.9 * checkpoints and self.ticks_per_worker_s >= 0.8 * ticks
        return held and self.failed_ticks == 0

    @property
    def client_calls_per_s(self) -> float:
        return sum(rate for name, rate in self.calls.items() if name in ("evalsha", "script|exists"))

    def row(self) -> str:
        inside = sum(self.calls.values()) - self.client_calls_per_s
        return (
            f"| {self.mode} | {self.guilds} | {self.redis_cpu * 100:.1f} % | {self.per_guild_us:.1f} | "
            f"{self.scaled_us:.1f} | "
            f"{self.client_calls_per_s / self.guilds:.2f} | {inside / self.guilds:.2f} | {self.reads_per_s:.0f} | "
            f"{self.worker_cpu / self.guilds * 1e6:.0f} | {self.checkpoints_per_guild_s:.2f} | "
            f"{self.ticks_per_worker_s:.2f} | {self.failed_ticks} | {'yes' if self.kept_up else 'no'} | "
            f"{self.load:.1f} |"
        )


def measure(url: str, mode: str, guilds: int, workers: int, window_s: float, settings: WorkerSettings) -> Point:
    client = SyncRedis.from_url(url)
    client.flushall()
    start = time.time() + WARMUP_S
    window = (start, start + window_s)
    ids = list(range(1, guilds + 1))
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    processes = [
        context.Process(
            target=_worker_process,
            args=(
                Plan(
                    url,
                    mode,
                    w,
                    tuple(ids[w::workers]),
                    settings.lease_ms,
                    settings.checkpoint_interval_ms,
                    settings.scan_interval_ms,
                    window,
                ),
                results,
            ),
        )
        for w in range(workers)
    ]
    for process in processes:
        process.start()
    time.sleep(max(0.0, window[0] - time.time()))
    before = snapshot(client)
    time.sleep(max(0.0, window[1] - time.time()))
    after = snapshot(client)
    reports = [results.get(timeout=60) for _ in processes]
    for process in processes:
        process.join()
    client.close()
    calls = {
        name: (after.calls[name] - before.calls.get(name, 0)) / window_s
        for name in after.calls
        if name not in ("info", "flushall") and after.calls[name] > before.calls.get(name, 0)
    }
    return Point(
        mode=mode,
        guilds=int(sum(r["guilds"] for r in reports)),
        window_s=window_s,
        redis_cpu=(after.cpu_s - before.cpu_s) / window_s,
        calls=calls,
        reads_per_s=(after.reads - before.reads) / window_s,
        checkpoints_per_guild_s=sum(r["checkpoints"] for r in reports) / window_s / guilds,
        ticks_per_worker_s=sum(r["ticks"] for r in reports) / window_s / workers,
        worker_cpu=sum(r["cpu_s"] for r in reports) / window_s,
        refused=int(sum(r["refused"] for r in reports)),
        failed_ticks=int(sum(r["failed_ticks"] for r in reports)),
        load=os.getloadavg()[0],
        expected=(1000 / settings.checkpoint_interval_ms, 4000 / settings.lease_ms),
    )


def fit(points: list[Point]) -> tuple[float, float]:
    """Least-squares `cpu = a + b * guilds`."""
    xs, ys = [p.guilds for p in points], [p.redis_cpu for p in points]
    n, mx, my = len(xs), sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx if n > 1 and sxx else my / mx
    return my - b * mx, b


def report(points: list[Point]) -> None:
    print(
        "| mode | playing guilds | Redis CPU (one core) | Redis CPU µs per guild per s | same, at the configured "
        "cadence | script calls /guild/s | "
        "commands inside /guild/s | read events /s | worker CPU µs per guild per s | checkpoints /guild/s | "
        "ticks /worker/s | failed ticks | cadence held | load avg |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for point in points:
        print(point.row())
    for mode in (*MODES, SCAN):
        if not any(p.mode == mode for p in points):
            continue
        mine = [p for p in points if p.mode == mode and p.kept_up]
        dropped = [p.guilds for p in points if p.mode == mode and not p.kept_up]
        if dropped:
            print(f"{mode}: left out of the fit (the simulated workers fell behind the cadence): N = {dropped}")
        if len(mine) > 1:
            a, b = fit(mine)
            at_half = (0.5 - a) / b if b > 0 else float("inf")
            measured = ", ".join(str(p.guilds) for p in mine)
            print(
                f"{mode}: Redis CPU ≈ {a * 100:.2f} % + {b * 1e6:.2f} µs/s per guild → 50 % of a core at ≈ "
                f"{at_half:,.0f} playing guilds (fit through N = {measured}, where the cadence held)"
            )
        scaled = sorted(p.scaled_us for p in points if p.mode == mode)
        worst = scaled[-1]
        print(
            f"{mode}: at the configured cadence (every point scaled by its script calls): {scaled[0]:.1f}–{worst:.1f} "
            f"µs/s per guild → 50 % of a core at ≥ {0.5e6 / worst:,.0f} playing guilds (the dearest point)"
        )
        refused = sum(p.refused for p in points if p.mode == mode)
        if refused:
            print(f"{mode}: {refused} checkpoints were refused (there should be none)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--guilds", default="500,1000,2000", help="comma-separated numbers of playing guilds")
    parser.add_argument("--workers", type=int, default=2, help="simulated worker processes")
    parser.add_argument("--window-s", type=float, default=10.0)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--no-aof", action="store_true", help="run Redis without its AOF (deployed with it on)")
    args = parser.parse_args()
    settings = WorkerSettings()
    print(f"lease {settings.lease_ms} ms (renewed every ~{settings.lease_ms // 4} ms), ", end="")
    print(f"checkpoint every {settings.checkpoint_interval_ms} ms, {args.workers} worker processes, ", end="")
    print(f"AOF {'off' if args.no_aof else 'on (appendfsync everysec)'}, {os.cpu_count()} cores")
    points: list[Point] = []
    with tempfile.TemporaryDirectory() as tmp:
        server = RedisServer(data_dir=Path(tmp) / "redis", appendonly=not args.no_aof).start()
        try:
            for guilds in (int(n) for n in args.guilds.split(",")):
                for mode in args.modes.split(","):
                    point = measure(server.url, mode, guilds, args.workers, args.window_s, settings)
                    print(point.row(), flush=True)
                    points.append(point)
        finally:
            server.stop()
    report(points)


if __name__ == "__main__":
    main()
