"""A mirrored 1,000-track Spotify playlist on the whole stack: `/play` → first audio heard, and → all 1,000 queued.

Runs redis-server, the gateway and two workers as processes against the fake Discord (DAVE v1), the fake Spotify
(Web API with client credentials: the playlist and ten pages of 100) and a loopback media server whose catalogue
index (tests/media/catalogue.py, with decoys) the `localsearch` plugin searches when a track is matched. The stack
is warm (one mirrored track played and stopped first: voice joined, yt-dlp and the token warm); each run plays
another 1,000-track playlist starting at another catalogue track, so neither its metadata nor its first match is
cached. `--service-latency-ms` delays every answer of the fake Spotify (a real round trip). Times are from the fake
delivering the command: the first frame the listener receives, and the moment the queue (plus what plays) holds all
1,000.

    .venv/bin/python -m bench.mirror_playlist --runs 5
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path

from redis.asyncio import Redis

from bench.stats import percentile
from localdiscord.fake_discord import FakeDiscord
from localdiscord.waiting import wait_until, wait_until_async
from shared.codec import dumps
from shared.queue_store import QueueStore
from tests.e2e.stack import Stack
from tests.gateway.e2e import build_world
from tests.media.catalogue import generate
from tests.media.library import write_library
from tests.media.server import MediaServer
from tests.media.tones import CATALOG
from tests.services.music_fixtures import INDEX_PATH
from tests.services.music_services import Collection, FakeMusicServices
from tests.services.music_shapes import spotify_id
from tests.services.redis_server import RedisServer

SIZE = 1000
CATALOGUE = 1200


async def one_run(stack: Stack, music: FakeMusicServices, run: int) -> tuple[float, float]:
    numbers = [(run * 37 + k) % CATALOGUE for k in range(SIZE)]
    numbers = [n for n in numbers if n % 20 != 19][:1] + numbers  # start on a track that has a match
    playlist = f"{run:022d}".replace("0", "B", 1)
    music.spotify["playlist"][playlist] = Collection(f"Bench list {run}", numbers[:SIZE])
    queues = QueueStore(stack.redis, stack.keys)
    start = stack.fake.clock()
    await stack.command("play", {"query": f"https://open.spotify.com/playlist/{playlist}?si=bench"})

    def first_frame() -> float | None:
        arrived = [chunk.at for chunk in stack.heard().between(start)]
        return arrived[0] - start if arrived else None

    async def all_queued() -> float | None:
        state = await stack.state()
        held = (await queues.length(stack.world.guild.id)) + (1 if state and state.now_playing else 0)
        return stack.fake.clock() - start if held >= SIZE else None

    queued_s = await wait_until_async(all_queued, 30, lambda: f"1,000 queued\n{stack.tail_logs()}", 0.005)
    first_s = await wait_until(first_frame, 30, lambda: f"first audio\n{stack.tail_logs()}", 0.005)
    await stack.command("stop")
    await stack.until_state(lambda s: s.now_playing is None)
    await asyncio.sleep(0.5)
    return first_s, queued_s


async def main(runs: int, latency_ms: float) -> None:
    with tempfile.TemporaryDirectory(prefix="encore-bench-") as tmp:
        workdir = Path(tmp)
        (workdir / "fake").mkdir()
        redis_server = RedisServer(workdir / "redis").start()
        media = MediaServer(workdir / "media").start()
        write_library(media.root, media.base, 10)
        catalogue = generate(CATALOGUE, base=media.base, audio=CATALOG[0].file)
        (media.root / INDEX_PATH).parent.mkdir(parents=True, exist_ok=True)
        (media.root / INDEX_PATH).write_bytes(dumps(catalogue.index))
        redis = Redis.from_url(redis_server.url)
        music = FakeMusicServices(catalogue, latency_s=latency_ms / 1000).start()
        env = {**music.environment(api=True), "LOCALSEARCH_BASE": media.base, "LOCALSEARCH_INDEX": INDEX_PATH}
        firsts, queued = [], []
        try:
            async with FakeDiscord(workdir=workdir / "fake") as fake:
                stack = Stack(fake, await build_world(fake), redis, redis_server.url, workdir / "logs", worker_env=env)
                try:
                    await stack.start_gateway()
                    await asyncio.gather(stack.start_worker("w1"), stack.start_worker("w2"))
                    await stack.command("play", {"query": f"https://open.spotify.com/track/{spotify_id(1)}"})
                    await stack.hear(0.5)
                    await stack.command("stop")
                    await stack.until_state(lambda s: s.now_playing is None)
                    for run in range(1, runs + 1):
                        first_s, queued_s = await one_run(stack, music, run)
                        firsts.append(first_s)
                        queued.append(queued_s)
                finally:
                    await stack.close()
        finally:
            music.stop()
            await redis.aclose()
            media.stop()
            redis_server.stop()
    print(f"Spotify answers after {latency_ms:g} ms")
    print("| mirrored 1,000-track playlist (warm stack) | runs | p50 ms | p99 ms | min ms | max ms |")
    print("|---|---|---|---|---|---|")
    for name, values in (("/play → first audio heard", firsts), ("/play → all 1,000 queued", queued)):
        ms = [v * 1000 for v in values]
        print(f"| {name} | {len(ms)} | {statistics.median(ms):.0f} | {percentile(ms, 0.99):.0f} | {min(ms):.0f} | "
              f"{max(ms):.0f} |")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--service-latency-ms", type=float, default=0.0, help="each fake Spotify answer's delay")
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.service_latency_ms))
    sys.exit(0)
