"""Soak: many guilds playing while a random worker is killed (kill -9) every N seconds.

Runs redis-server (AOF), the fake Discord (DAVE v1, one listener per guild), the chaos media server, the gateway and
three workers as real processes. Every guild plays a queue of rising-pitch ramps (Opus, played by passthrough), so
the pitch heard before and after a takeover tells the position. Every `--kill-every` seconds a random worker is
killed and started again at once (as a container restart would); for each guild it owned, the time from the kill
to sound again and the position lost are measured. At the end: every queue entry is where it should be (none lost
or duplicated) and every guild is playing. Exit status 1 if not.

    PYTHONPATH=. .venv/bin/python -m bench.chaos_soak --guilds 50 --minutes 10 --kill-every 30
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
from redis.asyncio import Redis

from bench.loop_stall import LoopStallProbe
from bench.soak_probes import Window, clock_deltas, scrape_all, summarize, udp_receive_drops
from bench.stats import percentile
from localdiscord.fake_discord import FakeDiscord
from localdiscord.voice.capture import HeardAudio
from localdiscord.world.models import Channel, Guild, Member
from shared.keys import Keys
from shared.player_store import PlayerStore
from shared.queue_store import QueueStore
from tests.chaos.media import RAMP_SECONDS, ChaosMedia, make_chaos_media, media_process
from tests.chaos.timeline import Takeover, ramp_takeover
from tests.e2e.analysis import sounding_times
from tests.e2e.stack import Stack
from tests.gateway.e2e import EVERYONE, build_world
from tests.services.redis_server import RedisServer, free_port

KEEP_HEARD_S = 40.0
"""Decoded audio older than this is dropped (50 guilds × 10 min of PCM would not fit in memory)."""
RESUME_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class SoakGuild:
    guild: Guild
    text: Channel
    voice: Channel
    listener: Member


@dataclass
class Figures:
    takeovers_s: list[float] = field(default_factory=list)
    positions_lost_s: list[float] = field(default_factory=list)
    not_resumed: list[str] = field(default_factory=list)
    collateral_gaps: int = 0
    kills: int = 0
    windows: list[Window] = field(default_factory=list)
    fake_loop: LoopStallProbe = field(default_factory=LoopStallProbe)


def say(text: str) -> None:
    sys.stdout.write(f"[soak {time.strftime('%H:%M:%S')}] {text}\n")
    sys.stdout.flush()


async def make_guilds(fake: FakeDiscord, count: int) -> list[SoakGuild]:
    guilds = []
    for index in range(count):
        guild = await fake.create_guild(f"soak {index}")
        guild.roles[guild.id].permissions = EVERYONE
        text = await fake.create_text_channel(guild, "music")
        voice = await fake.create_voice_channel(guild, "Lounge")
        listener = await fake.create_member(guild, "listener")
        await fake.join_voice(listener, voice)
        guilds.append(SoakGuild(guild, text, voice, listener))
    return guilds


async def start_playing(fake: FakeDiscord, guilds: list[SoakGuild], playlist_url: str) -> None:
    gate = asyncio.Semaphore(4)

    async def play(soak: SoakGuild) -> None:
        async with gate:
            handle = await fake.invoke("play", member=soak.listener, channel=soak.text, options={"query": playlist_url})
            await handle.reply(60)

    await asyncio.gather(*(play(soak) for soak in guilds))
    for soak in guilds:
        await fake.wait_for_audio(soak.voice, seconds=0.5, timeout=120)


def prune(fake: FakeDiscord, guilds: list[SoakGuild]) -> None:
    cutoff = fake.clock() - KEEP_HEARD_S
    for soak in guilds:
        heard = fake.heard(soak.voice)
        heard.chunks[:] = [chunk for chunk in heard.chunks if chunk.at >= cutoff]


async def owners(redis: Redis, keys: Keys, guilds: list[SoakGuild]) -> dict[int, str]:
    raw = await redis.mget([keys.lease(soak.guild.id) for soak in guilds])
    return {soak.guild.id: value.decode().rpartition("|")[0] for soak, value in zip(guilds, raw, strict=True) if value}


async def measure(fake: FakeDiscord, voice: Channel, killed_at: float) -> Takeover | None:
    """The takeover of one guild: wait for a second of sound after the kill, then read it off the ramp."""
    with contextlib.suppress(TimeoutError):
        heard = await fake.wait_for_audio(voice, seconds=1.0, timeout=RESUME_TIMEOUT_S, since=killed_at + 0.2)
        # Pure-Python pitch analysis: on a thread, or it would hold up the fake (same loop) mid-takeover.
        return await asyncio.to_thread(ramp_takeover, heard, killed_at, fake.clock())
    return None


def interrupted(heard: HeardAudio, start: float, end: float) -> bool:
    """Silent for more than 0.3 s between `start` and `end`."""
    times = sounding_times(heard, start, end)
    bounds = [start, *times, end]
    return len(times) < 2 or max(b - a for a, b in itertools.pairwise(bounds)) > 0.3


def within_a_ramp(takeover: Takeover) -> bool:
    """Positions read near a track boundary are not positions on one ramp."""
    edges = (0.5, RAMP_SECONDS - 0.5)
    return all(edges[0] < p < edges[1] for p in (takeover.stopped_position_s, takeover.resumed_position_s))


async def kill_one(
    stack: Stack, guilds: list[SoakGuild], rng: random.Random, figures: Figures, http: aiohttp.ClientSession
) -> None:
    fake = stack.fake
    owned = await owners(stack.redis, stack.keys, guilds)
    victim = rng.choice(sorted(stack.workers))
    affected = [soak for soak in guilds if owned.get(soak.guild.id) == victim]
    survivors = {name: port for name, port in stack.worker_health_ports.items() if name != victim}
    clocks_before, drops_before = await scrape_all(http, survivors), udp_receive_drops()
    figures.fake_loop.take_max()
    killed_at = fake.clock()
    await stack.workers[victim].kill()
    restart = asyncio.create_task(stack.start_worker(victim))
    results = await asyncio.gather(*(measure(fake, soak.voice, killed_at) for soak in affected))
    fake_stall_s = figures.fake_loop.take_max()  # before the analysis below, which runs on the same loop
    for soak, takeover in zip(affected, results, strict=True):
        if takeover is None:
            figures.not_resumed.append(soak.guild.name)
            continue
        figures.takeovers_s.append(takeover.resume_after_event_s)
        if within_a_ramp(takeover):
            figures.positions_lost_s.append(takeover.position_lost_s)
    others = [soak for soak in guilds if soak not in affected]
    checked_until = fake.clock() - 0.1
    await fake.voice.caught_up()
    heard = [fake.heard(soak.voice) for soak in others]
    gaps = await asyncio.to_thread(lambda: sum(interrupted(audio, killed_at, checked_until) for audio in heard))
    figures.collateral_gaps += gaps
    clocks = clock_deltas(clocks_before, await scrape_all(http, survivors))
    figures.windows.append(Window(gaps, udp_receive_drops() - drops_before, clocks, fake_stall_s))
    await restart
    figures.kills += 1
    lost = figures.takeovers_s[-len(affected) :] if affected else []
    say(f"killed {victim} ({len(affected)} guilds): resumed after {_summary(lost)}")


def _summary(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    return f"p50 {statistics.median(ordered):.2f} s, max {ordered[-1]:.2f} s (n={len(ordered)})"


async def final_check(stack: Stack, guilds: list[SoakGuild], entries: int) -> list[str]:
    """Every guild holds exactly its entries (history + now playing + queue, unique uids) and is playing."""
    problems = []
    players, queues = PlayerStore(stack.redis, stack.keys), QueueStore(stack.redis, stack.keys)
    since = stack.fake.clock() - 2.0
    for soak in guilds:
        gid = soak.guild.id
        state = await players.load(gid)
        history = (await players.history(gid, 0, 100)).items
        queue = await queues.all_items(gid)
        now = [state.now_playing] if state is not None and state.now_playing is not None else []
        uids = Counter(item.uid for item in [*history, *now, *queue])
        if sum(uids.values()) != entries or any(n > 1 for n in uids.values()):
            problems.append(
                f"{soak.guild.name}: {sum(uids.values())} entries, duplicates {[u for u, n in uids.items() if n > 1]}"
            )
        if not now or stack.fake.heard(soak.voice).seconds(since, stack.fake.clock()) < 1.0:
            problems.append(f"{soak.guild.name}: not playing at the end")
    return problems


def _distribution(values: list[float], scale: float, unit: str) -> str:
    quantiles = ", ".join(f"p{round(q * 100)} {percentile(values, q) * scale:.2f} {unit}" for q in (0.5, 0.9, 0.99))
    return f"n={len(values)}: {quantiles}, min {min(values) * scale:.2f}, max {max(values) * scale:.2f} {unit}"


def report(figures: Figures, args: argparse.Namespace) -> None:
    takeovers, lost = figures.takeovers_s, figures.positions_lost_s
    say(f"{figures.kills} kills (one every {args.kill_every} s), {args.guilds} guilds, {args.workers} workers")
    if takeovers:
        say(f"takeover, kill -9 to sound again, {_distribution(takeovers, 1, 's')}")
    if lost:
        say(f"position lost {_distribution(lost, 1000, 'ms')}")
    late = figures.not_resumed
    say(f"guilds that did not resume within {RESUME_TIMEOUT_S:.0f} s: {len(late)} {late[:5]}")
    say(f"guilds of surviving workers that went silent during a takeover: {figures.collateral_gaps}")
    for line in summarize(figures.windows):
        say(line)


async def soak(args: argparse.Namespace, workdir: Path) -> int:
    redis_server = RedisServer(data_dir=workdir / "redis", appendonly=True).start()
    make_chaos_media(workdir / "media")
    entries = args.entries
    lines = ["#EXTM3U"] + [f"#EXTINF:{RAMP_SECONDS},ramp {i}\n{{base}}/chaos/ramp.webm?n={i}" for i in range(entries)]
    try:
        async with FakeDiscord() as fake:
            with media_process(workdir / "media") as base:
                (workdir / "media" / "chaos" / "soak.m3u").write_text("\n".join(lines).format(base=base) + "\n")
                guilds = await make_guilds(fake, args.guilds)
                client: Redis = Redis.from_url(redis_server.url, socket_timeout=10)
                stack = Stack(fake, await build_world(fake), client, redis_server.url, workdir / "logs")
                env = {"ENCORE_WORKER__MAX_JOBS": "4", **dict(item.split("=", 1) for item in args.worker_env)}
                stack.worker_env = env
                names = [f"w{i}" for i in range(1, args.workers + 1)]
                stack.worker_health_ports = {name: free_port() for name in names}
                try:
                    await asyncio.gather(stack.start_gateway(), *(stack.start_worker(n) for n in names))
                    return await run_soak(stack, guilds, ChaosMedia(base), args, entries)
                finally:
                    await stack.close()
                    await client.aclose()
    finally:
        redis_server.stop()


async def run_soak(
    stack: Stack, guilds: list[SoakGuild], media: ChaosMedia, args: argparse.Namespace, entries: int
) -> int:
    say(f"starting {len(guilds)} guilds")
    await start_playing(stack.fake, guilds, media.url("soak.m3u"))
    say(f"{len(guilds)} guilds playing; a random worker is killed every {args.kill_every} s for {args.minutes} min")
    rng, figures = random.Random(args.seed), Figures()
    ends_at = time.monotonic() + args.minutes * 60
    stall_probe = asyncio.create_task(figures.fake_loop.run())
    try:
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < ends_at:
                next_kill = time.monotonic() + args.kill_every
                await kill_one(stack, guilds, rng, figures, http)
                prune(stack.fake, guilds)
                await asyncio.sleep(max(0.0, next_kill - time.monotonic()))
    finally:
        stall_probe.cancel()
    await asyncio.sleep(3.0)
    report(figures, args)
    problems = await final_check(stack, guilds, entries)
    for problem in problems[:20]:
        say(f"PROBLEM {problem}")
    say(f"entries: {'none lost or duplicated' if not problems else f'{len(problems)} problems'}")
    return 1 if problems or figures.not_resumed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--guilds", type=int, default=50)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--kill-every", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--entries", type=int, default=15, help="queue entries per guild (60 s ramps)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--worker-env", action="append", default=[], metavar="NAME=VALUE", help="extra environment for the workers"
    )
    parser.add_argument("--workdir", type=Path, help="keep logs and data here (default: a temporary directory)")
    args = parser.parse_args()
    if args.workdir is not None:
        return asyncio.run(soak(args, args.workdir.resolve()))
    with tempfile.TemporaryDirectory(prefix="encore-soak-") as tmp:
        return asyncio.run(soak(args, Path(tmp)))


if __name__ == "__main__":
    raise SystemExit(main())
