"""Gateway benchmark: how fast interactions are acknowledged, idle and while a 5,000-entry playlist is ingested.

Starts its own redis-server, loopback media server (5,000-entry RSS feed), the fake Discord, the real gateway
process (`python -m gateway`) and the worker's real resolver in another process, then invokes commands as fake
members and reads the acknowledgement delay the fake Discord measured (interaction created -> first callback).

    .venv/bin/python -m bench.gateway_ack_latency [--commands 200] [--items 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from redis.asyncio import Redis

from localdiscord.fake_discord import FakeDiscord
from shared.keys import Keys
from shared.queue_store import QueueStore
from shared.settings_store import SettingsStore
from tests.gateway.e2e import GatewayProcess, World, answer, build_world
from tests.media.library import write_library
from tests.media.server import MediaServer
from tests.services.processes import ServiceProcess
from tests.services.redis_server import RedisServer

COMMANDS = ("queue", "nowplaying", "history", "skip", "pause", "volume")


@dataclass
class Phase:
    name: str
    delays_ms: list[float]

    def row(self) -> str:
        data = sorted(self.delays_ms)
        p95 = data[min(len(data) - 1, int(len(data) * 0.95))]
        return f"| {self.name} | {len(data)} | {statistics.median(data):.1f} | {p95:.1f} | {max(data):.1f} |"


async def one_command(world: World, index: int) -> float:
    name = COMMANDS[index % len(COMMANDS)]
    options = {"level": 80} if name == "volume" else None
    member = world.alice if index % 2 else world.bob
    callback, _ = await answer(world, name, member, options)
    return callback.delay * 1000


async def idle_phase(world: World, count: int) -> Phase:
    return Phase("idle", [await one_command(world, i) for i in range(count)])


async def ingest_phase(world: World, redis: Redis, feed_url: str, items: int) -> tuple[Phase, Phase, float, float]:
    """`/play` the feed and, from the moment it is invoked until every entry is queued, keep issuing commands."""
    queue = QueueStore(redis, Keys())
    started = time.perf_counter()
    play = asyncio.create_task(answer(world, "play", world.alice, {"query": feed_url}, timeout_s=120))
    delays: list[float] = []
    first_reply_s = 0.0
    while await queue.length(world.guild.id) < items or not play.done():
        delays.append(await one_command(world, len(delays)))
        if play.done() and not first_reply_s:
            first_reply_s = time.perf_counter() - started
        if time.perf_counter() - started > 300:
            raise TimeoutError("the playlist was not ingested in 300 s")
    all_queued_s = time.perf_counter() - started
    callback, reply = await play
    if "Queued" not in reply.content:
        raise RuntimeError(f"the playlist was not queued: {reply.content}")
    return (
        Phase("/play (defer)", [callback.delay * 1000]),
        Phase("during ingestion", delays),
        first_reply_s,
        all_queued_s,
    )


async def run(root: Path, commands: int, items: int) -> None:
    redis_server = RedisServer(data_dir=root / "redis").start()
    media = MediaServer(root / "media").start()
    write_library(root / "media" / "feed", f"{media.base}/feed", items)
    redis = Redis.from_url(redis_server.url)
    resolver = ServiceProcess(
        "resolver",
        "bench.gateway_resolver",
        {"BENCH_REDIS_URL": redis_server.url, "BENCH_MEDIA_BASE": media.base},
        root / "resolver.log",
    )
    async with FakeDiscord() as fake:
        world = await build_world(fake)
        await SettingsStore(redis, Keys()).update(world.guild.id, max_queue_length=items + 100, user_share_percent=100)
        gateway = GatewayProcess(
            fake,
            redis_server.url,
            root / "gateway.log",
            {"ENCORE_GATEWAY__RATE_LIMIT_COMMANDS": "1000", "ENCORE_GATEWAY__RATE_LIMIT_WINDOW_S": "1"},
        )
        try:
            await resolver.start()
            await resolver.wait_for_log("resolver ready", 30)
            await gateway.start()
            idle = await idle_phase(world, commands)
            play, busy, first_s, all_s = await ingest_phase(world, redis, media.url("feed/podcast.xml"), items)
        finally:
            await gateway.close()
            await resolver.close()
            await redis.aclose()
            media.stop()
            redis_server.stop()
    print(f"interaction acknowledgement delay measured by the fake Discord (limit 3,000 ms); {items:,}-entry RSS")
    print("\n| phase | commands | median ms | p95 ms | max ms |\n|---|---|---|---|---|")
    for phase in (idle, play, busy):
        print(phase.row())
    print(f"\n/play answered (first chunk queued) after {first_s:.2f} s; all {items:,} queued after {all_s:.1f} s")
    print("'during ingestion' spans the whole time from the /play invocation until every entry was queued.")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--commands", type=int, default=200, help="commands in the idle phase")
    parser.add_argument("--items", type=int, default=5000, help="playlist entries")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="encore-gw-bench-") as tmp:
        asyncio.run(run(Path(tmp), args.commands, args.items))


if __name__ == "__main__":
    main()
