"""The sandbox's start-up and first-audio figures: `./scripts/run` without a token, as a newcomer runs it.

From a fresh clone (this commit, `git clone`d into a temporary folder, with its own new venv): the time to the venv
being installed, to the page's address being printed (everything ready), and to the page playing a demo track; then
a second start in the same clone; and in each run the time from `/play` sent by the page to the first audio frame
decoded in the browser. Headless Chromium with Playwright (`tests/sandbox/browser.py`).

    PYTHONPATH=. .venv/bin/python bench/sandbox_start.py [--keep DIR] [--plays 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.async_api import Page

from tests.sandbox.browser import chromium
from tests.services.processes import ROOT
from tests.services.redis_server import free_port

ADDRESS = re.compile(r"open (http://127\.0\.0\.1:\d+/)")
FIRST_FRAME = """async ({ before }) => {
  const deadline = performance.now() + 15000;
  while (performance.now() < deadline) {
    const ear = window.localDiscord.ear();
    if (ear && ear.streamStartAt !== null && ear.streamStartAt > before) return ear.streamStartAt - before;
    await new Promise((r) => setTimeout(r, 5));
  }
  return null;
}"""


@dataclass
class Run:
    marks: dict[str, float] = field(default_factory=dict)
    first_audio_ms: list[float | None] = field(default_factory=list)
    """Per /play, in order; None: no audio within 15 s."""


async def _watch(process: asyncio.subprocess.Process, started: float, run: Run) -> str:
    """Read the run script's output until the page's address; note when each step began."""
    assert process.stdout is not None
    while line := (await process.stdout.readline()).decode(errors="replace"):
        now = time.monotonic() - started
        if "installing encore" in line:
            run.marks.setdefault("venv install began", now)
        if "starting redis-server" in line:
            run.marks.setdefault("venv ready, redis starting", now)
        if found := ADDRESS.search(line):
            run.marks["page address printed (all ready)"] = now
            return found.group(1)
    raise RuntimeError(f"./scripts/run ended before the sandbox was up (exit {await process.wait()})")


async def _play(page: Page, title: str) -> float | None:
    url = await page.locator(".track", has_text=title).locator("button").get_attribute("data-url")
    await page.locator("#input").fill(f"/play query:{url}")
    before = await page.evaluate("() => performance.now()")
    await page.locator("#input").press("Enter")
    waited: float | None = await page.evaluate(FIRST_FRAME, {"before": before})
    return waited


async def _use_page(address: str, profile: Path, plays: int, started: float, run: Run) -> None:
    async with chromium(profile) as browser:
        page = await browser.new_page()
        await page.goto(address)
        await page.locator("#viewer").select_option(label="alice")
        await page.locator("#voice-toggle").click()
        await page.locator(".voice-member", has_text="alice").wait_for()
        for index in range(plays):
            waited = await _play(page, "A440" if index % 2 == 0 else "E660")
            if index == 0:
                run.marks["first track heard in the page"] = time.monotonic() - started
            run.first_audio_ms.append(waited)
            if waited is None:
                print(f"  play {index + 1}: no audio; the page showed:\n{await page.inner_text('#messages')}")
            await page.locator("#input").fill("/stop")
            await page.locator("#input").press("Enter")
            await asyncio.sleep(3.0)  # two commands per 3 s stays under the gateway's rate limit (8 per 10 s)


async def one_start(clone: Path, env: dict[str, str], plays: int) -> Run:
    run = Run()
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        str(clone / "scripts" / "run"),
        cwd=clone,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        address = await asyncio.wait_for(_watch(process, started, run), 900)
        drain = asyncio.get_running_loop().create_task(_drain(process))
        with tempfile.TemporaryDirectory() as profile:
            await _use_page(address, Path(profile), plays, started, run)
        drain.cancel()
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does in the terminal
        await asyncio.wait_for(process.wait(), 60)
    return run


async def _drain(process: asyncio.subprocess.Process) -> None:
    assert process.stdout is not None
    while await process.stdout.readline():
        pass


def report(name: str, run: Run) -> None:
    print(f"{name}:")
    for mark, seconds in run.marks.items():
        print(f"  {mark:40s} {seconds:6.1f} s")
    values = sorted(v for v in run.first_audio_ms if v is not None)
    if values:
        each = ", ".join("-" if v is None else f"{v:.0f}" for v in run.first_audio_ms)
        print(
            f"  /play sent -> first audio frame in the browser: median {statistics.median(values):.0f} ms,"
            f" max {values[-1]:.0f} ms over {len(values)} plays ({each} ms in order)"
        )


async def both_starts(clone: Path, env: dict[str, str], plays: int, *, fresh: bool) -> None:
    if fresh:
        report("fresh clone, new venv", await one_start(clone, env, plays))
    report("second start" if fresh else "start of an existing clone", await one_start(clone, env, plays))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--keep",
        type=Path,
        help="clone into this folder and keep it (default: a temporary one); an existing one is reused",
    )
    parser.add_argument("--plays", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="encore-fresh-") as temporary:
        clone = args.keep or Path(temporary) / "encore"
        fresh = not clone.exists()
        if fresh:
            subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ENCORE_", "VIRTUAL_ENV", "PYTHONPATH"))}
        env |= {"ENCORE_SANDBOX__PORT": "0", "ENCORE_REDIS_PORT": str(free_port())}
        asyncio.run(both_starts(clone, env, args.plays, fresh=fresh))


if __name__ == "__main__":
    main()
