"""The sandbox in a real browser: `python -m sandbox` (the gateway, two workers, the local Discord, the demo library)
driven from headless Chromium as a member would, hearing the bot through the page's WebAudio analyser."""

from __future__ import annotations

import asyncio
import re
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Final

import pytest
from playwright.async_api import Page
from redis.asyncio import Redis

from tests.sandbox.browser import chromium, sandbox_process
from tests.services.processes import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]

SCREENSHOT: Final = ROOT / "docs" / "sandbox.png"
PITCH_TOLERANCE_HZ: Final = 6.0
AUDIBLE_DBFS: Final = -40.0

HEARD: Final = """() => {
  const ear = window.localDiscord.ear();
  if (!ear || !ear.socket || !ear.frames) return null;
  return { level: ear.level(), pitch: ear.pitch(), frames: ear.frames };
}"""


HOSTILE_NAME: Final = "<img src=x onerror=window.pwned=1> **bold** @everyone"
"""A file name in the operator's folder: the title yt-dlp gives the track, shown by the bot, rendered by the page."""


def operator_folder(root: Path) -> Path:
    """The operator's folder: one short tone whose file name is HTML."""
    root.mkdir(parents=True)
    source = "sine=frequency=330:duration=20:sample_rate=48000"
    target = root / f"{HOSTILE_NAME}.ogg"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-f", "lavfi", "-i", source, "-c:a", "libopus", str(target)],
        check=True,
    )
    return root


@pytest.fixture
async def page(redis: Redis, redis_url: str, tmp_path: Path) -> AsyncIterator[Page]:
    env = {
        "ENCORE_SANDBOX__LIBRARY_DIR": str(operator_folder(tmp_path / "mine")),
        "ENCORE_REDIS__URL": redis_url,
        "ENCORE_SANDBOX__PORT": "0",
        "ENCORE_SANDBOX__DATA_DIR": str(tmp_path / "sandbox"),
        "ENCORE_DISCORD_TOKEN": "",
        "ENCORE_LOG_LEVEL": "INFO",
    }
    async with sandbox_process(env, tmp_path / "sandbox.log") as address, chromium(tmp_path / "profile") as browser:
        tab = await browser.new_page()
        await tab.set_viewport_size({"width": 1400, "height": 900})
        await tab.goto(address)
        yield tab


async def until[T](probe: Callable[[], Awaitable[T | None]], what: str, timeout_s: float = 20.0) -> T:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    last: T | None = None
    while loop.time() < deadline:
        if (last := await probe()) is not None:
            return last
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


async def hears(page: Page, pitch: float, *, timeout_s: float = 20.0) -> dict[str, float]:
    """Until the page's analyser hears a signal at `pitch` above `AUDIBLE_DBFS`."""

    async def probe() -> dict[str, float] | None:
        heard: dict[str, float] | None = await page.evaluate(HEARD)
        ok = heard is not None and heard["level"] > AUDIBLE_DBFS and abs(heard["pitch"] - pitch) < PITCH_TOLERANCE_HZ
        return heard if ok else None

    return await until(probe, f"{pitch} Hz in the browser", timeout_s)


async def silent(page: Page) -> None:
    async def probe() -> bool | None:
        heard: dict[str, float] | None = await page.evaluate(HEARD)
        return True if heard is not None and heard["level"] < -70 else None

    await until(probe, "silence in the browser")


async def play(page: Page, title: str) -> None:
    url = await page.locator(".track", has_text=title).locator("button").get_attribute("data-url")
    await page.locator("#input").fill(f"/play query:{url}")
    await page.locator("#input").press("Enter")
    await page.locator(".message", has_text=title).first.wait_for()


async def test_play_hear_skip_pause_and_a_killed_worker(page: Page) -> None:
    await page.locator("#viewer").select_option(label="alice")
    await page.locator("#voice-toggle").click()
    await page.locator(".voice-member", has_text="alice").wait_for()

    await play(page, "A440")
    await page.locator(".message", has_text="A440").locator("button", has_text="Skip").first.wait_for()
    await hears(page, 440.0)
    await page.locator("#input").fill("/play ")
    await page.locator("#input").press_sequentially("query:a4")  # the bot's own autocomplete: alice's recent /play
    await page.locator("#suggestions li", has_text=re.compile("a440", re.IGNORECASE)).wait_for()
    await play(page, "E660")
    assert await page.locator("#composer-error").is_hidden()

    now_playing = page.locator(".message", has=page.locator("button", has_text="Skip")).last
    await now_playing.locator("button", has_text="Skip").click()
    await hears(page, 660.0)
    await page.locator(".message", has=page.locator("button", has_text="Skip")).last.filter(has_text="E660").wait_for()

    await (
        page.locator(".message", has=page.locator("button", has_text="Pause"))
        .last.locator("button", has_text="Pause")
        .click()
    )
    await silent(page)
    await (
        page.locator(".message", has=page.locator("button", has_text="Resume"))
        .last.locator("button", has_text="Resume")
        .click()
    )
    await hears(page, 660.0)

    owner = page.locator('.worker[data-owner="true"]')
    await owner.wait_for()
    killed = await owner.get_attribute("data-worker")
    await owner.locator('button[data-action="kill"]').click()
    await page.locator(f'.worker[data-worker="{killed}"]', has_text="exited").wait_for()
    await page.locator(f'.worker[data-owner="true"]:not([data-worker="{killed}"])').wait_for(timeout=20_000)
    await hears(page, 660.0, timeout_s=20)
    await page.screenshot(path=str(SCREENSHOT))

    await page.locator(f'.worker[data-worker="{killed}"] button[data-action="restart"]').click()
    await page.locator(f'.worker[data-worker="{killed}"]', has_text="ready").wait_for()
    survivor = await page.locator('.worker[data-owner="true"]').get_attribute("data-worker")
    await page.locator(f'.worker[data-worker="{survivor}"] button[data-action="terminate"]').click()
    await page.locator(f'.worker[data-worker="{survivor}"]', has_text="exited").wait_for()
    await page.locator(f'.worker[data-worker="{killed}"][data-owner="true"]').wait_for(timeout=20_000)
    await hears(page, 660.0, timeout_s=20)


async def test_bad_input_gets_discords_answer(page: Page) -> None:
    await page.locator("#viewer").select_option(label="bob")
    await page.locator("#input").press_sequentially("/pl")  # the registered commands, as Discord offers them
    await page.locator("#suggestions li.active", has_text="/play").wait_for()  # /play first, /playlist after it
    await page.locator("#input").press("Tab")
    assert await page.locator("#input").input_value() == "/play "
    await page.locator("#suggestions li", has_text="query:").wait_for()  # then its options
    await page.locator("#input").fill("/nosuchcommand")
    await page.locator("#input").press("Enter")
    await page.locator("#composer-error", has_text="not a command").wait_for()
    await page.locator("#input").fill("/play ")  # the command chosen, its option not given
    await page.locator("#input").press("Enter")
    await page.locator("#composer-error", has_text="required").wait_for()
    await page.locator(".track", has_text="<img src=x").locator("button").click()  # fills the message box
    await page.locator("#input").press("Enter")
    await page.locator(".message.ephemeral", has_text="voice").wait_for()  # bob is not in the voice channel

    await page.locator("#voice-toggle").click()
    await page.locator(".voice-member", has_text="bob").wait_for()
    await play(page, "<img src=x")
    await page.locator(".embed", has_text="<img src=x").wait_for()
    assert await page.locator("#messages img, #library img").count() == 0
    assert await page.evaluate("() => window.pwned") is None
    assert await page.locator(".track", has_text=HOSTILE_NAME).count() == 1
