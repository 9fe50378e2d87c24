"""`/lyrics` through the whole stack: gateway, two workers, redis-server, the fake Discord, the loopback media
server and a fake LRCLIB (tests/services/lrclib.py) that the workers reach through the URL guard (127.0.0.1 is
allow-listed, as for the media server)."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from localdiscord.fake_discord import FakeDiscord
from localdiscord.waiting import wait_until
from localdiscord.world.interactions import InteractionHandle
from tests.e2e.stack import Stack, started_stack
from tests.gateway.e2e import answer, assert_quiet, invoke, private_refusal, text_of
from tests.localdiscord.fixtures import NEXTCORD_WARNINGS
from tests.media.server import MediaServer
from tests.services.lrclib import FakeLrclib, song

pytestmark = [*NEXTCORD_WARNINGS, pytest.mark.e2e, pytest.mark.timeout(180)]

SYNCED = "[00:01.00]Sing it loud, the first line\n[00:05.00]And then the second line\n[00:09.00]The last line"
PLAIN = "Sing it loud, the first line\nAnd then the second line\nThe last line"
RECORDS = [
    song(10, "Encore Anthem", "The Testers", 30.0, plain=PLAIN, synced=SYNCED),
    song(11, "Encore Anthem", "Impostors", 30.0, plain="Words of another song"),
]


@pytest.fixture(scope="module")
def anthem(media_server: MediaServer) -> str:
    """30 s of 440 Hz tagged like an upload: `Encore Anthem (Official Video)` by `The Testers`."""
    root = media_server.root / "lyrics"
    root.mkdir(exist_ok=True)
    out = root / "anthem.mp3"
    tags = ["-metadata", "title=Encore Anthem (Official Video)", "-metadata", "artist=The Testers"]
    source = ["-f", "lavfi", "-i", "sine=f=440:d=30", "-ac", "2", "-ar", "48000", "-c:a", "libmp3lame"]
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *source, *tags, str(out)], check=True)
    return media_server.url("lyrics/anthem.mp3")


@pytest.fixture
def lrclib() -> Iterator[FakeLrclib]:
    with FakeLrclib(records=list(RECORDS)) as server:
        yield server


@pytest.fixture
async def lyrics_stack(
    fake_discord: FakeDiscord, redis: Redis, redis_url: str, tmp_path: Path, lrclib: FakeLrclib
) -> AsyncIterator[Stack]:
    env = {"ENCORE_WORKER__LRCLIB_URL": lrclib.base}
    async with started_stack(fake_discord, redis, redis_url, tmp_path / "logs", worker_env=env) as running:
        yield running


async def refused(stack: Stack, options: dict[str, object]) -> str:
    handle = await invoke(stack.world, "lyrics", stack.world.alice, options)
    return text_of(await private_refusal(stack.world, handle, timeout_s=20))


async def test_lyrics_of_the_track_playing_and_of_queries(lyrics_stack: Stack, lrclib: FakeLrclib, anthem: str) -> None:
    stack = lyrics_stack
    await stack.command("play", {"query": anthem})
    state = await stack.until_state(lambda s: s.now_playing is not None)
    assert state.now_playing is not None and state.now_playing.track.artist == "The Testers"
    _, reply = await stack.command("lyrics")
    shown = text_of(reply)
    assert not reply.ephemeral and "Encore Anthem — The Testers" in shown and "Sing it loud, the first line" in shown
    assert "another song" not in shown
    asked = lrclib.requests
    assert asked >= 1 and all(agent.startswith("encore/") for agent in lrclib.agents)
    _, again = await stack.command("lyrics")
    assert text_of(again) == shown and lrclib.requests == asked, "the second /lyrics came from the cache"
    _, by_query = await stack.command("lyrics", {"query": "Encore Anthem The Testers"})
    assert "Sing it loud, the first line" in text_of(by_query)
    assert await refused(stack, {"query": "a song nobody wrote"}) == "⚠️ No lyrics found for “a song nobody wrote”."
    assert_quiet(stack.gateway.log() if stack.gateway else "")


async def test_lrclib_failures_reach_the_member_as_words(lyrics_stack: Stack, lrclib: FakeLrclib) -> None:
    stack = lyrics_stack
    lrclib.fail(500, times=2)
    down = await refused(stack, {"query": "encore anthem"})
    assert down == "⚠️ Lyrics are not available right now (LRCLIB did not answer); please try again later."
    assert lrclib.requests == 2, "one retry, then the member is told"
    _, found = await answer(stack.world, "lyrics", stack.world.alice, {"query": "encore anthem"}, timeout_s=20)
    assert "Sing it loud" in text_of(found), "the failure was not cached"
    lrclib.fail(429, times=1, retry_after="20")
    busy = await refused(stack, {"query": "encore anthem impostors"})
    assert busy == "⚠️ LRCLIB is busy; please try again in 20 s."
    logs = stack.logs_by_process()
    assert all("Traceback" not in log for log in logs.values()), stack.tail_logs()
    assert_quiet(logs["gateway"])


async def live_shows(handle: InteractionHandle, text: str, timeout_s: float = 30.0) -> str:
    def probe() -> str | None:
        original = handle.interaction.original
        shown = text_of(original) if original is not None else ""
        return shown if text in shown else None

    return await wait_until(probe, timeout_s, f"the live reply to show {text!r}")


async def test_live_lyrics_follow_playback_pause_and_stop(lyrics_stack: Stack, anthem: str) -> None:
    stack = lyrics_stack
    await stack.command("play", {"query": anthem})
    await stack.until_state(lambda s: s.now_playing is not None and s.position_ms > 0)
    handle = await invoke(stack.world, "lyrics", stack.world.alice, {"live": True})
    await live_shows(handle, "▶ And then the second line")
    await live_shows(handle, "▶ The last line")
    await stack.command("pause")
    paused = await live_shows(handle, "⏸ Paused")
    assert "▶ The last line" in paused
    await stack.command("stop")
    await live_shows(handle, "Live lyrics ended: nothing is playing any more.")
    assert_quiet(stack.gateway.log() if stack.gateway else "")
