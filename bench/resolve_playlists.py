"""Resolver benchmark: time to first playable entry and to all entries queued, and cache hit vs miss latency.

Starts its own redis-server and loopback media server, writes the test media library (tests/media/library.py) plus
one RSS feed with <pubDate> per size and serves paged playlists, then runs the real ResolveService with a real arq
Worker (poll_delay 0.05 s) in this process.

    .venv/bin/python -m bench.resolve_playlists [--sizes 500,5000,20000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from arq.connections import RedisSettings, create_pool
from redis.asyncio import Redis

from bench.loop_stall import LoopStallProbe
from bench.resolver import SETTINGS, resolve_service, resolve_worker
from localdiscord.waiting import wait_until_async
from shared import codec
from shared.jobs import ResolveRequest, SearchRequest
from shared.keys import Keys
from shared.queue_store import QueueStore
from shared.settings import WorkerSettings
from shared.settings_store import SettingsStore
from tests.media.documents import Feed
from tests.media.library import PLUGIN_DIR, write_feed, write_library
from tests.media.server import MediaServer
from tests.services.redis_server import RedisServer
from worker.resolve.service import ResolveService

GUILD = 111_111_111_111_111_111
USER = 222_222_222_222_222_222


@dataclass
class Row:
    source: str
    size: int
    extract_s: float
    first_s: list[float]
    all_s: list[float]
    stall_ms: float


async def elapsed_until(check: Callable[[], Awaitable[bool]], timeout_s: float, step_s: float = 0.002) -> float:
    """Seconds until `check` holds, polled every `step_s`."""
    start = time.perf_counter()
    await wait_until_async(check, timeout_s, "a benchmark step", step_s)
    return time.perf_counter() - start


async def one_run(service: ResolveService, redis: Redis, keys: Keys, url: str, size: int) -> tuple[float, float]:
    await redis.delete(keys.queue(GUILD), keys.shares(GUILD))
    request = ResolveRequest(guild_id=GUILD, request_id=uuid.uuid4().hex, query=url, requester_id=USER)
    start = time.perf_counter()

    queue = QueueStore(redis, keys)

    async def has_first() -> bool:
        return await queue.length(GUILD) >= 1

    async def has_all() -> bool:
        return await queue.length(GUILD) >= size

    first_task = asyncio.create_task(elapsed_until(has_first, 120))
    result = await service.resolve(request)
    if result.queued == 0:
        raise RuntimeError(f"nothing queued for {url}: {result.status.value} {result.problem}")
    first = await first_task
    await elapsed_until(has_all, 300, step_s=0.01)
    return first, time.perf_counter() - start


async def extract_only(service: ResolveService, url: str) -> float:
    """The second of two warm extractions (the first pays for this feed's code paths)."""
    await service.parts.ytdlp.extract(url, first=20, cap=100_000)
    start = time.perf_counter()
    await service.parts.ytdlp.extract(url, first=20, cap=100_000)
    return time.perf_counter() - start


async def cache_latency(service: ResolveService, server: MediaServer, redis: Redis, keys: Keys) -> list[str]:
    """Median ms of 20 `/play URL` (18 `/search`) that miss the cache, then of the same inputs hitting it."""
    urls = [server.url(f"media/tone1_220hz.mp3?bench={i}") for i in range(20)]
    queries = [f"tone {n} {fmt}" for n in (1, 2, 3) for fmt in ("mp3", "ogg", "webm", "m4a", "flac", "wav")]
    lines = []
    for label, inputs, call in (
        ("direct link (`/play URL`)", urls, "resolve"),
        ("search (`/search text`)", queries, "search"),
    ):
        timings: dict[str, list[float]] = {"miss": [], "hit": []}
        for phase in ("miss", "hit"):
            for text in inputs:
                await redis.delete(keys.queue(GUILD), keys.shares(GUILD))
                start = time.perf_counter()
                if call == "resolve":
                    rid = uuid.uuid4().hex
                    await service.resolve(ResolveRequest(guild_id=GUILD, request_id=rid, query=text, requester_id=USER))
                else:
                    await service.search(SearchRequest(query=text))
                timings[phase].append((time.perf_counter() - start) * 1000)
        miss, hit = statistics.median(timings["miss"]), statistics.median(timings["hit"])
        lines.append(f"| {label} | {miss:.1f} | {hit:.2f} | {miss / hit:.0f}× |")
    return lines


async def main(sizes: list[int], runs: int) -> None:
    sys.path.insert(0, str(PLUGIN_DIR))
    with tempfile.TemporaryDirectory(prefix="encore-bench-") as tmp:
        root = Path(tmp)
        redis_server = RedisServer(data_dir=root / "redis").start()
        server = MediaServer(root / "media").start()
        try:
            await run_all(root, redis_server, server, sizes, runs)
        finally:
            server.stop()
            redis_server.stop()


async def run_all(root: Path, redis_server: RedisServer, server: MediaServer, sizes: list[int], runs: int) -> None:
    media_root = root / "media"
    write_library(media_root, server.base, 20)
    for size in sizes:
        feed = Feed(f"Encore test podcast ({size} items)", "encore-test", size)
        write_feed(media_root / f"n{size}" / "podcast.xml", server.base, feed, media_root)
    keys = Keys()
    redis = Redis.from_url(redis_server.url)
    await redis.flushdb()
    pool = await create_pool(
        RedisSettings.from_dsn(redis_server.url), job_serializer=codec.dumps, job_deserializer=codec.loads
    )
    service = resolve_service(redis, pool, keys, server.base)
    await service.start()
    await SettingsStore(redis, keys).update(GUILD, max_queue_length=max(sizes), user_share_percent=100)
    worker = resolve_worker(pool, keys, service, keep_result_s=10)
    worker_task = asyncio.create_task(worker.main())
    try:
        rows = []
        for size in sizes:
            for source, url in (("RSS", server.url(f"n{size}/podcast.xml")), ("paged", server.url(f"paged/p{size}"))):
                extract_s = await extract_only(service, url)
                stalls = LoopStallProbe()
                stalls_task = asyncio.create_task(stalls.run())
                timings = [await one_run(service, redis, keys, url, size) for _ in range(runs)]
                stalls_task.cancel()
                first, every = [t[0] for t in timings], [t[1] for t in timings]
                rows.append(Row(source, size, extract_s, first, every, stalls.take_max() * 1000))
                print(f"  measured {source} {size}", file=sys.stderr)
        cache_lines = await cache_latency(service, server, redis, keys)
    finally:
        worker_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await worker_task
        await worker.close()
        service.close()
        await redis.aclose()
    print_tables(rows, cache_lines, SETTINGS, runs)


def print_tables(rows: list[Row], cache_lines: list[str], settings: WorkerSettings, runs: int) -> None:
    print(f"first_chunk_size={settings.first_chunk_size} chunk_size={settings.chunk_size} arq poll_delay=0.05 s")
    print(f"medians of {runs} runs (min–max); 'extract' is one warm process=False extraction on its own\n")
    print("| source | entries | extract (s) | first playable (s) | all queued (s) | worst loop stall (ms) |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        first = f"{statistics.median(row.first_s):.3f} ({min(row.first_s):.3f}–{max(row.first_s):.3f})"
        every = f"{statistics.median(row.all_s):.2f} ({min(row.all_s):.2f}–{max(row.all_s):.2f})"
        print(f"| {row.source} | {row.size:,} | {row.extract_s:.3f} | {first} | {every} | {row.stall_ms:.0f} |")
    print("\n| resolve | cache miss, median ms | cache hit, median ms | miss / hit |")
    print("|---|---|---|---|")
    for line in cache_lines:
        print(line)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="500,5000,20000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(main([int(s) for s in args.sizes.split(",")], args.runs))
