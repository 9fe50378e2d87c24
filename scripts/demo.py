"""`make demo`: the whole stack on this machine against the fake Discord; a worker is killed mid-track.

Starts redis-server (AOF), the fake Discord (DAVE v1) with a listener in a voice channel, a media server, the gateway
and two workers; plays a playlist; kills the worker that plays it (kill -9) in the middle of a track whose pitch
rises with time; prints the takeover from the logs and what the listener heard; writes that to a WAV file.
Run from the repository root with the project's venv: `PYTHONPATH=. .venv/bin/python scripts/demo.py [outdir]`.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import time
from pathlib import Path

from tests.chaos.media import TONE_SECONDS
from tests.chaos.standalone import Running, running_stack, write_wav
from tests.chaos.timeline import describe_steps, ramp_takeover
from tests.e2e.stack import Stack

PLAYLIST = ("c250", "c350", "ramp", "c450", "c650")
KILL_AT_MS = 5000
"""How far into the ramp the worker playing it is killed."""


def say(text: str) -> None:
    sys.stdout.write(f"\033[1m[demo]\033[0m {text}\n")
    sys.stdout.flush()


async def play_playlist(run: Running, media_root: Path) -> None:
    lines = ["#EXTM3U"] + [f"#EXTINF:-1,{name}\n{run.media.url(name + '.mp3')}" for name in PLAYLIST]
    (media_root / "chaos" / "demo.m3u").write_text("\n".join(lines) + "\n")
    _, reply = await run.stack.command("play", {"query": run.media.url("demo.m3u")})
    say(f"/play demo.m3u → {reply.content or reply.embeds[0].get('title')}")


async def kill_the_owner_mid_ramp(stack: Stack) -> None:
    await stack.until_state(
        lambda s: s.now_playing is not None and s.now_playing.track.title == "ramp" and s.position_ms >= KILL_AT_MS,
        timeout_s=60,
    )
    owner = await stack.owner()
    assert owner is not None
    worker = stack.workers[owner]
    say(f"the ramp (a tone rising 50 Hz per second) plays on worker {owner}: kill -9 {worker.pid}")
    killed_at, killed_wall = stack.fake.clock(), time.time()
    await worker.kill()
    await stack.hear(2.0, since=killed_at + 0.3)
    takeover = ramp_takeover(stack.heard(), killed_at, stack.fake.clock())
    say(f"takeover by worker {await stack.owner()}, from the logs (ms after the kill):")
    sys.stdout.write(describe_steps(stack.logs_by_process(), killed_wall) + "\n")
    say(f"what the listener heard: {takeover.describe()}")
    await asyncio.sleep(2.0)
    _, reply = await stack.command("skip")
    say(f"/skip → {reply.content}")


async def demo(outdir: Path) -> int:
    shutil.rmtree(outdir / "run", ignore_errors=True)
    say("starting redis-server (AOF), the fake Discord (DAVE v1), a media server, the gateway and two workers")
    async with running_stack(outdir / "run") as run:
        stack = run.stack
        started = stack.fake.clock()
        await play_playlist(run, outdir / "run" / "media")
        await kill_the_owner_mid_ramp(stack)
        await stack.until_history(len(PLAYLIST), timeout_s=4 * TONE_SECONDS + 20)
        ended = stack.fake.clock()
        seconds = write_wav(stack.heard(), outdir / "heard.wav", started, ended)
        titles = await stack.until_history(len(PLAYLIST))
        say(f"played, in order: {', '.join(reversed(titles))}")
        say(f"wrote {outdir / 'heard.wav'} ({seconds:.1f} s of what the listener heard)")
        say(f"logs: {outdir / 'run' / 'logs'}")
    return 0


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("var/demo")
    raise SystemExit(asyncio.run(demo(target.resolve())))
