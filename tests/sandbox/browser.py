"""Headless Chromium (Debian's `chromium`) driven by Playwright, and `python -m sandbox` as a real process.

Chromium is started with a fresh profile and with its own network calls off (no updates, sync or QUIC probes):
this machine has no internet, and the tests talk to 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Final

from playwright.async_api import BrowserContext, async_playwright

from tests.services.processes import ROOT

CHROMIUM: Final = os.environ.get("ENCORE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS: Final = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
)
ADDRESS: Final = re.compile(rb"open (http://127\.0\.0\.1:\d+/)")


@asynccontextmanager
async def chromium(profile: Path) -> AsyncIterator[BrowserContext]:
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, args=list(CHROMIUM_ARGS), headless=True
        )
        try:
            yield context
        finally:
            await context.close()


@asynccontextmanager
async def sandbox_process(env: Mapping[str, str], log: Path, timeout_s: float = 90.0) -> AsyncIterator[str]:
    """`python -m sandbox` with `env`; yields the page's address once it printed it (everything is ready then)."""
    with log.open("wb") as out:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "sandbox", cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=out
        )
    try:
        address = await _address(process, log, timeout_s)
        yield address
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


async def _address(process: asyncio.subprocess.Process, log: Path, timeout_s: float) -> str:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        if found := ADDRESS.search(_read(log)):
            return found.group(1).decode()
        if process.returncode is not None:
            break
        await asyncio.sleep(0.1)
    raise AssertionError(f"the sandbox did not start:\n{_read(log).decode(errors='replace')[-4000:]}")


def _read(log: Path) -> bytes:
    return log.read_bytes()
