"""SponsorBlock on the whole stack: a "YouTube video" (the loopback stand-in extractor) whose sponsor read is an 880 Hz
tone between 440 Hz music. The fake SponsorBlock API on the media server marks it; the listener never hears the
880 Hz while the 440 Hz around it plays without a gap, the checkpoint is past the segment, `/nowplaying` and the
channel say what was skipped; with the setting off the 880 Hz is heard."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from localdiscord.fake_discord import FakeDiscord
from localdiscord.waiting import wait_until
from localdiscord.world.models import Message
from shared.models import SkipSegment, SponsorCategory
from tests.e2e.analysis import longest_silence_s, tone_segments
from tests.e2e.media import E2EMedia
from tests.e2e.stack import Stack, started_stack
from tests.gateway.e2e import answer, text_of
from tests.localdiscord.fixtures import NEXTCORD_WARNINGS
from tests.media.server import MediaServer

pytestmark = [*NEXTCORD_WARNINGS, pytest.mark.e2e, pytest.mark.timeout(150)]

VIDEO = "sbE2eVideo1"
SPONSOR = SkipSegment(category=SponsorCategory.SPONSOR, start_ms=6000, end_ms=11000)
GAPLESS_S = 0.060
"""The longest silence a skip may leave (the bound gapless track changes and filter swaps keep)."""


@pytest.fixture
async def sponsor_stack(
    fake_discord: FakeDiscord, redis: Redis, redis_url: str, tmp_path: Path, media_server: MediaServer
) -> AsyncIterator[Stack]:
    env = {"ENCORE_WORKER__SPONSORBLOCK_URL": media_server.base, "ENCORE_WORKER__SETTINGS_REFRESH_S": "0.5"}
    async with started_stack(fake_discord, redis, redis_url, tmp_path / "logs", workers=1, worker_env=env) as stack:
        yield stack


async def _settings(stack: Stack, sponsorblock: str) -> Message:
    _, reply = await answer(
        stack.world, "settings", stack.world.admin, {"sponsorblock": sponsorblock}, subcommand="set"
    )
    return reply


def _frequencies(stack: Stack, start: float, end: float) -> list[float]:
    return [round(segment.frequency) for segment in tone_segments(stack.heard(), start, end)]


async def test_a_sponsor_read_is_never_heard_and_is_heard_with_the_setting_off(
    sponsor_stack: Stack, e2e_media: E2EMedia, media_server: MediaServer
) -> None:
    stack = sponsor_stack
    media_server.sponsorblock.add(VIDEO, "sponsor", 6.0, 11.0)
    media_server.sponsorblock.add(VIDEO, "selfpromo", 13.0, 16.0, action="mute")  # not a skip: plays
    bad = await _settings(stack, "sponsor, adverts")
    assert bad.ephemeral and "`adverts` is not a SponsorBlock category" in bad.content, bad
    assert await stack.redis.get(stack.keys.settings(stack.world.guild.id)) is None, "nothing changed"
    saved = await _settings(stack, "intro, sponsor")
    assert saved.ephemeral and "SponsorBlock: sponsor, intro" in text_of(saved), text_of(saved)

    url = media_server.url(f"tube/{VIDEO}/sponsored.mp3?d=30")
    await stack.command("play", {"query": url})
    start = (await stack.hear(0.3)).between(None, None)[0].at
    state = await stack.until_state(lambda s: bool(s.skipped), timeout_s=25)
    assert state.skipped == (SPONSOR,), state.skipped
    assert state.position_ms >= SPONSOR.end_ms, "the checkpoint after a skip is the segment's end"
    await asyncio.sleep(2.5)
    end = stack.fake.clock()
    heard = _frequencies(stack, start, end)
    print(f"\nheard {heard}; longest silence {longest_silence_s(stack.heard(), start, end) * 1000:.0f} ms")
    assert heard and all(abs(f - 440) <= 10 for f in heard), (heard, stack.tail_logs())
    assert (end - start) >= 8, "6 s of music before the segment and more after it were heard"
    assert longest_silence_s(stack.heard(), start, end) <= GAPLESS_S, "the skip leaves no gap"
    state = await stack.until_state(lambda s: s.position_ms >= 13_000)
    assert state.now_playing is not None and state.now_playing.track.source_id == VIDEO

    _, shown = await stack.command("nowplaying")
    assert "Skipped: sponsor 0:06–0:11" in text_of(shown), text_of(shown)

    def notices() -> list[str]:
        return [m.content for m in stack.fake.messages(stack.world.text) if "Skipped sponsor" in m.content]

    await wait_until(lambda: bool(notices()), 10, "the skip's notice")
    assert notices() == [f"⏩ Skipped sponsor 0:06–0:11 of **tube {VIDEO}** (SponsorBlock)."]

    off = await _settings(stack, "off")
    assert "SponsorBlock: off" in text_of(off), text_of(off)
    await asyncio.sleep(1.5)  # the owner re-reads the settings every 0.5 s
    await stack.command("seek", {"position": "4"})
    await stack.until_state(lambda s: s.position_ms < 6000)
    since = stack.fake.clock()
    await asyncio.sleep(5.0)
    again = _frequencies(stack, since, stack.fake.clock())
    assert any(abs(f - 880) <= 10 for f in again), (again, stack.tail_logs())
    assert (await stack.state() or state).skipped == (SPONSOR,), "nothing more was skipped"
