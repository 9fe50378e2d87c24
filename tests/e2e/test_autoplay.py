"""Autoplay end to end: gateway, two workers, redis-server, the fake Discord with voice, real yt-dlp on the loopback
media server, whose `localtube` videos have mixes (tests/media/documents.py) as YouTube's do.

Video `tKK`'s mix is t(KK-3) … t(KK+6): from t00 the radio plays t15, t16, t17; when t17 (the last of the batch)
starts it looks again and meets t15, t16 and t00, which just played, so it goes on with t14, t01, t02.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from redis.asyncio import Redis

from localdiscord.fake_discord import FakeDiscord
from shared.models import PlayerState
from shared.settings_store import SettingsStore
from tests.e2e.media import E2EMedia
from tests.e2e.stack import Stack, started_stack
from tests.localdiscord.fixtures import NEXTCORD_WARNINGS
from tests.media.documents import tube_title
from tests.media.server import MediaServer

pytestmark = [*NEXTCORD_WARNINGS, pytest.mark.e2e, pytest.mark.timeout(150)]

FIRST_BATCH = [tube_title(15), tube_title(16), tube_title(17)]
SECOND_BATCH = [tube_title(14), tube_title(1), tube_title(2)]


@pytest.fixture
async def radio(
    fake_discord: FakeDiscord, redis: Redis, redis_url: str, tmp_path: Path, media_server: MediaServer
) -> AsyncIterator[Stack]:
    """The stack with the loopback mixes configured as the production one is for YouTube."""
    env = {"ENCORE_WORKER__MIX_URL": media_server.url("tube/mix/{id}"), "ENCORE_WORKER__MIX_EXTRACTORS": "localtube"}
    async with started_stack(fake_discord, redis, redis_url, tmp_path / "logs", worker_env=env) as running:
        yield running


def playing(title: str, *, autoplay: bool | None = None) -> Callable[[PlayerState], bool]:
    def check(state: PlayerState) -> bool:
        item = state.now_playing
        return item is not None and item.track.title == title and autoplay in (None, item.autoplay)

    return check


async def _start_radio(stack: Stack, media_server: MediaServer) -> None:
    _, reply = await stack.command("autoplay", {"mode": "on"})
    assert "Autoplay on" in reply.content, reply
    await stack.command("play", {"query": media_server.url("tube/watch/t00")})


async def _queue_becomes(stack: Stack, titles: list[str], timeout_s: float = 20.0) -> None:
    for _ in range(int(timeout_s / 0.1)):
        if await stack.queue_titles() == titles:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"queue {await stack.queue_titles()} is not {titles}\n{stack.tail_logs()}")


async def test_the_radio_plays_related_tracks_marked_and_never_repeats(radio: Stack, media_server: MediaServer) -> None:
    await _start_radio(radio, media_server)
    await radio.until_state(playing(tube_title(15), autoplay=True), timeout_s=30)
    since = radio.fake.clock()
    heard = await radio.hear(1.0, since=since)
    assert abs(heard.dominant_frequency(since, radio.fake.clock()) - 440) < 5, "the autoplayed track is heard"
    _, queue = await radio.command("queue")
    assert "📻 autoplay" in str(queue.embeds[0]["description"]), queue
    _, now = await radio.command("nowplaying")
    assert {"name": "Requested by", "value": "📻 autoplay"} in [
        {"name": field["name"], "value": field["value"]} for field in now.embeds[0]["fields"]
    ], now
    played = list(reversed(await radio.until_history(5, timeout_s=60)))
    assert played[:5] == [tube_title(0), *FIRST_BATCH, SECOND_BATCH[0]], played
    assert len(set(played)) == len(played), "nothing of what played lately came back"
    state = await radio.until_state(lambda s: s.now_playing is not None and s.now_playing.track.title in SECOND_BATCH)
    assert state.now_playing is not None and state.now_playing.autoplay


async def test_a_members_play_goes_before_the_radio(
    radio: Stack, media_server: MediaServer, e2e_media: E2EMedia
) -> None:
    await _start_radio(radio, media_server)
    await _queue_becomes(radio, FIRST_BATCH)  # found while t00 plays: the radio has no gap
    await radio.command("play", {"query": e2e_media.url("t330.mp3")})
    await _queue_becomes(radio, ["t330", *FIRST_BATCH])
    state = await radio.until_state(playing("t330"), timeout_s=20)
    assert state.now_playing is not None and not state.now_playing.autoplay
    await radio.until_state(playing(tube_title(15), autoplay=True), timeout_s=20)


async def test_stop_clears_the_radio_and_nothing_refills(radio: Stack, media_server: MediaServer) -> None:
    await _start_radio(radio, media_server)
    await radio.until_state(playing(tube_title(15), autoplay=True), timeout_s=30)
    await radio.command("stop")
    await radio.until_state(lambda s: s.now_playing is None)
    await asyncio.sleep(3.0)
    assert await radio.queue_titles() == []
    assert (await radio.state() or PlayerState()).now_playing is None


async def test_off_removes_the_radio_and_the_queue_ends_as_before(radio: Stack, media_server: MediaServer) -> None:
    _, bad = await radio.command("autoplay", {"mode": "sometimes"})
    assert bad.ephemeral and "mode" in bad.content, bad
    settings = SettingsStore(radio.redis, radio.keys)
    assert not (await settings.get(radio.world.guild.id)).autoplay
    await _start_radio(radio, media_server)
    await _queue_becomes(radio, FIRST_BATCH)
    _, off = await radio.command("autoplay", {"mode": "off"})
    assert "3 autoplayed" in off.content, off
    assert await radio.queue_titles() == []
    await radio.until_history(1, timeout_s=20)
    await radio.until_state(lambda s: s.now_playing is None)
    await asyncio.sleep(3.0)
    assert await radio.queue_titles() == []
    state = await radio.state()
    assert state is not None and state.now_playing is None and state.voice_channel_id is not None, "idle, as today"


async def test_a_new_owner_continues_the_radio_after_a_kill_9(radio: Stack, media_server: MediaServer) -> None:
    await _start_radio(radio, media_server)
    # the last autoplayed track starts: its owner is looking for more when it is killed
    await radio.until_state(playing(tube_title(17), autoplay=True), timeout_s=40)
    victim = await radio.owner()
    assert victim is not None
    await radio.workers[victim].kill()
    played = list(reversed(await radio.until_history(6, timeout_s=60)))
    assert played[:6] == [tube_title(0), *FIRST_BATCH, *SECOND_BATCH[:2]], played
    assert await radio.owner() not in (None, victim)
