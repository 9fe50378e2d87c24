"""`/play` → first audio heard, and frame pacing while playing, on the whole stack of this machine.

Runs redis-server, the gateway and two workers as processes against the fake Discord (DAVE v1) and a loopback
media server, then times, from the moment the fake delivers the slash command to the moment its listener
receives the first audio frame:

- cold: a URL never resolved before (resolve cache miss, yt-dlp runs), bot already in the voice channel;
- warm: the same URL again (resolve cache hit);
- join: cold URL with the bot outside voice (includes the voice handshake with DAVE), each run right after a
  /leave; a run that hears nothing within 30 s counts as silent (the guild is reset and the series goes on).

It also prints the frame interval jitter (p50/p99 of inter-arrival) while one guild plays, idle and with a
5,000-entry playlist being ingested at the same time.

    .venv/bin/python -m bench.first_audio --runs 50
    .venv/bin/python -m bench.first_audio --runs 2 --join-runs 1000   # the rapid leave/rejoin series
    .venv/bin/python -m bench.first_audio --track opus440.webm        # WebM/Opus (YouTube's form): no FFmpeg

`--track` picks the timed file: an MP3 (the default) goes through FFmpeg, a WebM/Opus one through the in-process
passthrough, which is what most YouTube tracks take.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Final

from redis.asyncio import Redis

from bench.stats import percentile
from localdiscord.fake_discord import FakeDiscord
from localdiscord.waiting import wait_until
from tests.e2e.media import E2EMedia, make_e2e_media
from tests.e2e.stack import Stack
from tests.gateway.e2e import build_world
from tests.media.fixtures import PLAYLIST_ITEMS
from tests.media.library import write_library
from tests.media.server import MediaServer
from tests.services.redis_server import RedisServer


@contextlib.asynccontextmanager
async def running_stack(workdir: Path) -> AsyncIterator[tuple[Stack, E2EMedia]]:
    (workdir / "fake").mkdir()
    redis_server = RedisServer(workdir / "redis").start()
    (workdir / "media").mkdir()
    media = MediaServer(workdir / "media").start()
    write_library(media.root, media.base, PLAYLIST_ITEMS)
    e2e = make_e2e_media(media)
    redis = Redis.from_url(redis_server.url)
    try:
        async with FakeDiscord(workdir=workdir / "fake") as fake:
            world = await build_world(fake)
            stack = Stack(fake, world, redis, redis_server.url, workdir / "logs")
            try:
                await stack.start_gateway()
                await stack.start_worker("w1")
                await stack.start_worker("w2")
                yield stack, e2e
            finally:
                await stack.close()
    finally:
        await redis.aclose()
        media.stop()
        redis_server.stop()


SILENT_AFTER_S: Final = 30.0
JOIN_PERIOD_S: Final = 1.25
"""Join runs start at least this far apart. Each sends two op 4 (leave, join); nextcord holds the gateway's sends
after 110 within 60 s (Discord allows 120) for up to a minute, which would read as silent runs (~0.85 s unpaced)."""


async def first_audio(stack: Stack, query: str) -> float:
    """Seconds from the command reaching the bot to the first frame the listener receives."""
    start = stack.fake.clock()
    await stack.command("play", {"query": query})

    def first_arrival() -> float | None:
        arrived = [chunk.at for chunk in stack.heard().between(start)]
        return arrived[0] - start if arrived else None

    remaining_s = SILENT_AFTER_S - (stack.fake.clock() - start)
    return await wait_until(first_arrival, remaining_s, lambda: f"audio for {query}\n{stack.tail_logs()}", 0.005)


async def reset(stack: Stack, *, leave: bool) -> None:
    await stack.command("stop")
    await stack.until_state(lambda s: s.now_playing is None)
    if leave:
        await stack.command("leave")
        await stack.until_state(lambda s: s.voice_channel_id is None)
    await asyncio.sleep(0.3)


async def series(stack: Stack, media: E2EMedia, runs: int, kind: str, track: str) -> tuple[list[float], int]:
    """First-audio times of the runs that were heard, and how many join runs stayed silent."""
    times: list[float] = []
    silent = 0
    for run in range(runs):
        began = time.monotonic()
        query = media.url(track) if kind == "warm" else f"{media.url(track)}?{kind}={run}-{time.time()}"
        try:
            times.append(await first_audio(stack, query))
        except TimeoutError as exc:
            if kind != "join":
                raise
            silent += 1
            print(f"join run {run}: silent\n{exc}", file=sys.stderr, flush=True)
        await reset(stack, leave=kind == "join")
        if kind != "join":
            continue
        await asyncio.sleep(JOIN_PERIOD_S - (time.monotonic() - began))
        if (run + 1) % 100 == 0:
            print(f"join runs: {run + 1} done, {silent} silent", file=sys.stderr, flush=True)
    return times, silent


async def jitter(stack: Stack, media: E2EMedia, *, with_ingest: bool) -> tuple[float, float, float]:
    await stack.command("play", {"query": media.url("a440.mp3")})
    await stack.hear(1.0)
    if with_ingest:
        await stack.command("play", {"query": media.server.url("podcast.xml")})
    start = stack.fake.clock()
    await asyncio.sleep(8.0)
    stats = stack.fake.stream_stats(stack.world.voice, start=start, end=stack.fake.clock())
    await stack.command("clear")
    await reset(stack, leave=False)
    return stats.interval_p50_ms, stats.interval_p99_ms, stats.interval_max_ms


def line(name: str, values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (
        f"| {name} | {len(ms)} | {statistics.median(ms):.0f} | {percentile(ms, 0.99):.0f} | {min(ms):.0f} | "
        f"{max(ms):.0f} |"
    )


async def main(runs: int, join_runs: int, track: str) -> None:
    with tempfile.TemporaryDirectory(prefix="encore-bench-") as tmp:
        async with running_stack(Path(tmp)) as (stack, media):
            await first_audio(stack, media.url("t220.mp3"))  # joins voice and warms every process up
            await reset(stack, leave=False)
            cold, _ = await series(stack, media, runs, "cold", track)
            warm, _ = await series(stack, media, runs, "warm", track)
            joined, silent = await series(stack, media, join_runs, "join", track)
            idle = await jitter(stack, media, with_ingest=False)
            busy = await jitter(stack, media, with_ingest=True)
    print(f"track: {track}\n")
    print("| /play → first audio heard | runs | p50 ms | p99 ms | min ms | max ms |")
    print("|---|---|---|---|---|---|")
    print(line("cold (resolve cache miss, bot in voice)", cold))
    print(line("warm (resolve cache hit, bot in voice)", warm))
    print(line("cold + voice join with DAVE", joined))
    print(f"\njoin runs silent (no audio within {SILENT_AFTER_S:g} s of /play): {silent} of {join_runs}")
    print()
    print("| frame interval while playing | p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|")
    print(f"| one guild, idle stack | {idle[0]:.1f} | {idle[1]:.1f} | {idle[2]:.1f} |")
    print(f"| one guild, 5,000-entry playlist ingesting | {busy[0]:.1f} | {busy[1]:.1f} | {busy[2]:.1f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--join-runs", type=int, default=20)
    parser.add_argument("--track", default="a440.mp3", help="a file of tests/e2e/media.py (a440.mp3, opus440.webm)")
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.join_runs, args.track))
    sys.exit(0)
