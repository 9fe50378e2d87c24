"""Voice figures against the fake Discord (loopback, production VoiceTimings); not a test, nothing is asserted.

Run: ``.venv/bin/python -m tests.voice.measure``. Prints the send_opus cost per frame with DAVE v1 and without
DAVE, the handshake time, for each fault the time until the connection is back and the longest gap in what the
listener heard, and the worker pacer's time per tick with 20 DAVE guilds.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
import statistics
import time
from collections.abc import Awaitable, Callable

from localdiscord.config import FakeConfig
from localdiscord.fake_discord import FakeDiscord
from tests.localdiscord.clients.tone import tone_frames
from tests.voice.fixtures import VoiceRig, open_voice_rig
from tests.voice.tone import ToneSource
from worker.audio.pacer import Pacer
from worker.voice.connection import VoiceTimings
from worker.voice.nextcord_adapter import check_voice_support

BATCH = 50
BATCHES = 40
GUILDS = 20


async def send_cost_us(rig: VoiceRig) -> float:
    """Mean wall time of one ``send_opus`` call, in batches of 50 with a pause for the fake to drain UDP."""
    samples: list[float] = []
    frames = itertools.cycle(rig.frames)
    rig.connection.set_speaking(True)
    for _ in range(BATCHES):
        batch = [next(frames) for _ in range(BATCH)]
        started = time.perf_counter()
        for frame in batch:
            rig.connection.send_opus(frame)
        samples.append((time.perf_counter() - started) / BATCH)
        await asyncio.sleep(0.05)
    rig.connection.set_speaking(False)
    return statistics.median(samples) * 1e6


def longest_gap_ms(rig: VoiceRig, since: float) -> float:
    heard = rig.fake.heard(rig.channel, rig.alice)
    times = [chunk.at for chunk in heard.between(since)]
    return 1000 * max((b - a for a, b in itertools.pairwise(times)), default=0.0)


async def fault(rig: VoiceRig, name: str, inject: Callable[[], Awaitable[float | None]]) -> None:
    """``inject`` may return the moment to measure from (default: when it was called)."""
    await rig.connect_with_listener()
    pacer = rig.pacer()
    pacer.start()
    await rig.hear(0.5, time.monotonic())
    started = time.monotonic()
    started = await inject() or started
    await rig.hear(1.0, started)
    await pacer.stop()
    back = rig.connected_after(started)
    recovery = f"{(back - started) * 1000:6.0f} ms" if back is not None else "  never"
    print(f"{name:28} connected again after {recovery}; longest audio gap {longest_gap_ms(rig, started - 0.5):5.0f} ms")


async def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    check_voice_support("libopus.so.0")
    frames = tone_frames(440.0, seconds=1.0)
    timings = VoiceTimings()
    async with FakeDiscord(FakeConfig()) as fake:
        async with open_voice_rig(fake, frames, timings) as rig:
            await rig.fake.join_voice(rig.alice, rig.channel)
            started = time.monotonic()
            await rig.connect()
            connected = time.monotonic()
            await rig.dave_ready()
            print(
                f"handshake: request -> connected {1000 * (connected - started):.0f} ms, "
                f"-> DAVE keys {1000 * (time.monotonic() - started):.0f} ms"
            )
            print(f"send_opus with DAVE v1: {await send_cost_us(rig):.1f} us/frame")
        faults: list[tuple[str, Callable[[VoiceRig], Awaitable[float | None]]]] = [
            ("4015 (resume)", lambda r: close(r, 4015)),
            ("1006 (resume)", lambda r: close(r, 1006)),
            ("4006 (fresh voice state)", lambda r: close(r, 4006)),
            ("4014, then new credentials", fourteen),
            ("endpoint move", move),
        ]
        for name, inject in faults:
            async with open_voice_rig(fake, frames, timings) as rig:
                await fault(rig, name, functools.partial(inject, rig))
    async with FakeDiscord(FakeConfig(dave_version=0)) as fake, open_voice_rig(fake, frames, timings) as rig:
        await rig.connect()
        print(f"send_opus without DAVE: {await send_cost_us(rig):.1f} us/frame")
    async with FakeDiscord(FakeConfig()) as fake:
        await many_guilds(fake, frames, timings, GUILDS)


async def many_guilds(fake: FakeDiscord, frames: list[bytes], timings: VoiceTimings, count: int) -> None:
    """``count`` guilds with DAVE on one worker pacer: its time per tick and per guild (the fake shares the loop)."""
    async with contextlib.AsyncExitStack() as stack:
        rigs = [await stack.enter_async_context(open_voice_rig(fake, frames, timings)) for _ in range(count)]
        for rig in rigs:
            await rig.connect_with_listener()
        async with Pacer() as pacer:
            for rig in rigs:
                pacer.attach(rig.guild.id, rig.connection).play(ToneSource(frames * 3))
            await asyncio.sleep(2.5)
            counters = pacer.counters
            per_tick = counters.busy_s / max(1, counters.ticks)
            print(
                f"{count} guilds on one pacer: {per_tick * 1e6:.0f} us per tick, {per_tick * 1e6 / count:.1f} us per "
                f"guild and frame, late ticks {counters.late_ticks}/{counters.ticks}"
            )


async def close(rig: VoiceRig, code: int) -> None:
    await rig.fake.close_voice(rig.guild, code)


async def fourteen(rig: VoiceRig) -> float:
    """Measured from the new VOICE_SERVER_UPDATE (what the gateway forwards), not from the close."""
    await rig.fake.close_voice(rig.guild, 4014)
    await asyncio.sleep(0.1)
    moment = time.monotonic()
    await rig.fake.move_voice_endpoint(rig.guild, server=rig.fake.router.guild_server.get(rig.guild.id, 0))
    return moment


async def move(rig: VoiceRig) -> None:
    await rig.fake.move_voice_endpoint(rig.guild)


if __name__ == "__main__":
    asyncio.run(main())
