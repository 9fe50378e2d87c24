"""What a blocked first search provider adds to a text `/play`: the real resolver (yt-dlp, Redis, the breaker's
scripts) over the loopback library, the first provider one of the test plugins that fails every search.

    .venv/bin/python -m bench.provider_chain --rounds 5

Chains, each resolving the same 18 text queries (`/play tone 1 mp3`, ...) with the search cache cleared first:
- `localsearch` alone: the baseline;
- `localfail_bot_check` then `localsearch`, its breaker never opening (a threshold above the searches made): every
  search pays YouTube's bot-check failure (a yt-dlp call that raises) before the next provider answers;
- the same chain with its breaker open (threshold 1): the first provider costs one Redis script call;
- `localfail_network` (a refused connection on loopback) then `localsearch`.
Prints a Markdown table of p50 / p90 per /play and the added latency against the baseline (run first and last).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from arq.connections import RedisSettings, create_pool
from redis.asyncio import Redis

from bench.stats import percentile
from shared import codec
from shared.jobs import SEARCH_SIZE, ResolveRequest, ResolveStatus
from shared.keys import Keys
from shared.settings import WorkerSettings
from tests.media.library import PLUGIN_DIR, write_library
from tests.media.server import MediaServer
from tests.services.redis_server import RedisServer
from worker.resolve.jobs import build_resolve_service
from worker.resolve.schedule_store import ArqChunkScheduler
from worker.resolve.service import ResolveService

NEVER = 1000
"""A breaker threshold no run reaches (5 rounds of 18 searches, and the warm-up)."""
GUILD = 4242
USER = 7
QUERIES = [f"tone {n} {fmt}" for n in (1, 2, 3) for fmt in ("mp3", "ogg", "webm", "m4a", "flac", "wav")]
CHAINS = [
    ("`localsearch` (baseline)", ("localsearch",), NEVER),
    ("blocked first (bot check), breaker closed", ("localfail_bot_check", "localsearch"), NEVER),
    ("blocked first, breaker open", ("localfail_bot_check", "localsearch"), 1),
    ("unreachable first (connection refused)", ("localfail_network", "localsearch"), NEVER),
    ("`localsearch` (baseline, again)", ("localsearch",), NEVER),
]


async def timings(
    service: ResolveService, redis: Redis, keys: Keys, providers: tuple[str, ...], rounds: int
) -> list[float]:
    """Milliseconds per text `/play`, each a cache miss on every provider."""
    found: list[float] = []
    for _ in range(rounds):
        for query in QUERIES:
            await redis.delete(keys.queue(GUILD), keys.shares(GUILD))
            await redis.delete(*(keys.search_results(p, SEARCH_SIZE, query) for p in providers))
            request = ResolveRequest(guild_id=GUILD, request_id=uuid.uuid4().hex, query=query, requester_id=USER)
            start = time.perf_counter()
            result = await service.resolve(request)
            found.append((time.perf_counter() - start) * 1000)
            assert result.status is ResolveStatus.QUEUED, result.problem
    return found


async def run(root: Path, redis_url: str, server: MediaServer, rounds: int) -> list[str]:
    write_library(root / "media", server.base, 20)
    keys = Keys()
    redis = Redis.from_url(redis_url)
    pool = await create_pool(
        RedisSettings.from_dsn(redis_url), job_serializer=codec.dumps, job_deserializer=codec.loads
    )
    measured: list[tuple[str, list[float]]] = []
    try:
        for label, providers, threshold in CHAINS:
            await redis.flushdb()
            config = WorkerSettings(worker_id="bench", allowed_hosts=("127.0.0.1",), breaker_threshold=threshold)
            service = build_resolve_service(
                redis=redis, keys=keys, config=config, providers=providers,
                scheduler=ArqChunkScheduler(pool, keys.arq_queue()),
                ytdlp_params={"extractor_args": {"localsearch": {"base": [server.base]}}},
            )  # fmt: skip
            await service.start()
            try:
                await timings(service, redis, keys, providers, 1)  # warm up (and open the breaker where it opens)
                values = await timings(service, redis, keys, providers, rounds)
            finally:
                service.close()
            measured.append((label, values))
            print(f"  measured {label}", file=sys.stderr)
    finally:
        await pool.aclose()
        await redis.aclose()
    return table(measured)


def table(measured: list[tuple[str, list[float]]]) -> list[str]:
    """Rows; the added latency is against the mean p50 of the two baseline runs (first and last)."""
    baseline = (statistics.median(measured[0][1]) + statistics.median(measured[-1][1])) / 2
    rows = []
    for label, values in measured:
        p50, p90 = statistics.median(values), percentile(values, 0.9)
        added = "—" if "baseline" in label else f"{p50 - baseline:+.1f}"
        rows.append(f"| {label} | {len(values)} | {p50:.1f} | {p90:.1f} | {added} |")
    return rows


async def main(rounds: int) -> None:
    sys.path.insert(0, str(PLUGIN_DIR))
    logging.disable(logging.WARNING)  # every blocked search logs one
    with tempfile.TemporaryDirectory(prefix="encore-bench-") as tmp:
        root = Path(tmp)
        redis_server = RedisServer(data_dir=root / "redis").start()
        server = MediaServer(root / "media").start()
        try:
            rows = await run(root, redis_server.url, server, rounds)
        finally:
            server.stop()
            redis_server.stop()
    print("| chain | /play text | p50 ms | p90 ms | added p50 ms |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, choices=range(1, 51), help="passes over the 18 queries")
    asyncio.run(main(parser.parse_args().rounds))
