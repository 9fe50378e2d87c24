"""Takeover of one playing guild, repeated: kill -9 and SIGTERM of its owner, measured at the listener.

Runs the whole stack (redis-server with AOF, the fake Discord with DAVE v1, the gateway, two workers) and plays a
rising-pitch ramp on loop. Each round signals the worker that owns the guild, measures from the signal to sound
again and the position lost (the pitch before and after the gap), then restarts the worker. Prints p50/p90/p99.

    PYTHONPATH=. .venv/bin/python -m bench.chaos_takeover --rounds 20 [--track ramp.webm] [--workdir /tmp/takeover]

`--track ramp.webm` plays the ramp as WebM/Opus (the form most YouTube tracks take: in-process passthrough, no
FFmpeg at the new owner); the default `ramp.mp3` goes through FFmpeg.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.stats import percentile
from tests.chaos.standalone import Running, running_stack
from tests.chaos.timeline import Takeover, ramp_takeover
from tests.e2e.stack import Stack


def say(text: str) -> None:
    sys.stdout.write(f"[takeover {time.strftime('%H:%M:%S')}] {text}\n")
    sys.stdout.flush()


def distribution(values: list[float], scale: float = 1000, unit: str = "ms") -> str:
    quantiles = ", ".join(f"p{round(q * 100)} {percentile(values, q) * scale:.0f}" for q in (0.5, 0.9, 0.99))
    mean = statistics.fmean(values) * scale
    return f"{quantiles}, min {min(values) * scale:.0f}, max {max(values) * scale:.0f}, mean {mean:.0f} {unit}"


async def one_round(stack: Stack, how: signal.Signals) -> Takeover:
    owner = await stack.owner()
    assert owner is not None, stack.tail_logs()
    signalled_at = stack.fake.clock()
    if how is signal.SIGKILL:
        await stack.workers[owner].kill()
    else:
        await stack.workers[owner].terminate()
    await stack.hear(1.0, since=signalled_at + 0.3)
    takeover = ramp_takeover(stack.heard(), signalled_at, stack.fake.clock())
    await stack.start_worker(owner)
    return takeover


async def rounds(run: Running, how: signal.Signals, count: int) -> list[Takeover]:
    results = []
    for index in range(count):
        state = await run.stack.state()
        if state is not None and state.position_ms > 50_000:  # stay inside one ramp
            await run.stack.command("seek", {"position": "2"})
            await asyncio.sleep(2.0)
        takeover = await one_round(run.stack, how)
        say(f"{how.name} {index + 1}/{count}: {takeover.describe()}")
        results.append(takeover)
        await asyncio.sleep(2.0)
    return results


def report(how: signal.Signals, results: list[Takeover]) -> None:
    say(f"{how.name}, {len(results)} rounds")
    say(f"  signal → sound again: {distribution([t.resume_after_event_s for t in results])}")
    say(f"  silent:               {distribution([t.gap.seconds for t in results])}")
    say(f"  position lost:        {distribution([t.position_lost_s for t in results])}")


async def bench(args: argparse.Namespace, workdir: Path) -> int:
    async with running_stack(workdir) as run:
        await run.stack.command("play", {"query": run.media.url(args.track)})
        await run.stack.command("loop", {"mode": "track"})
        await run.stack.hear(2.0)
        kills = await rounds(run, signal.SIGKILL, args.rounds)
        terms = await rounds(run, signal.SIGTERM, args.rounds)
    report(signal.SIGKILL, kills)
    report(signal.SIGTERM, terms)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--track", choices=("ramp.mp3", "ramp.webm"), default="ramp.mp3")
    parser.add_argument("--workdir", type=Path, help="keep logs and data here (default: a temporary directory)")
    args = parser.parse_args()
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=False)
        return asyncio.run(bench(args, args.workdir))
    with tempfile.TemporaryDirectory(prefix="encore-takeover-") as tmp:
        return asyncio.run(bench(args, Path(tmp)))


if __name__ == "__main__":
    raise SystemExit(main())
