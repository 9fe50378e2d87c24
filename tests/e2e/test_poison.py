"""Broken and hostile media never wedge a guild: each bad track is failed once with a notice and the next plays.

Through the whole stack (gateway, two workers, fake Discord) against the media server's `/hostile/...` routes
(tests/media/hostile.py). No player may crash, commands keep working, and a takeover does not retry the item.
"""

from __future__ import annotations

import asyncio

import pytest

from localdiscord.world.models import Message
from tests.e2e.media import E2EMedia
from tests.e2e.stack import Stack
from tests.gateway.e2e import text_of
from tests.localdiscord.fixtures import NEXTCORD_WARNINGS

pytestmark = [*NEXTCORD_WARNINGS, pytest.mark.e2e, pytest.mark.timeout(150)]

BAD_SOURCE = "e2e/t330.mp3"
HOSTILE = ["garbage", "truncated", "empty", "html", "reset", "hang", "flip4", "flipffmpeg"]
"""flip4: today the resolver makes four requests (yt-dlp, ffprobe, yt-dlp again before play, the redirect check) and
FFmpeg's fifth meets the redirect, which it may not follow; with another count the resolver follows the redirect to
garbage, and the track fails all the same."""


def _skipped(message: Message) -> bool:
    return text_of(message).startswith("❌ Skipped") and "t330" in text_of(message)


def assert_no_crash(stack: Stack) -> None:
    for name, worker in stack.workers.items():
        log = worker.log()
        assert "player crashed" not in log and "Traceback" not in log, f"--- {name}\n{log[-4000:]}"


async def _notice(stack: Stack) -> Message:
    try:
        return await stack.fake.wait_for_message(stack.world.text, _skipped, timeout=40)
    except TimeoutError as exc:
        raise AssertionError(f"no notice of the skipped track\n{stack.tail_logs()}") from exc


async def _heard_440(stack: Stack) -> None:
    await stack.until_state(lambda s: s.now_playing is not None and "a440" in s.now_playing.track.title, 40)
    since = stack.fake.clock()
    await stack.hear(1.0, since=since)
    assert abs(stack.heard().dominant_frequency(since, stack.fake.clock()) - 440) < 5


async def _stop_works(stack: Stack) -> None:
    await stack.command("stop")
    state = await stack.until_state(lambda s: s.now_playing is None)
    assert state.now_playing is None
    assert await stack.queue_titles() == []
    await asyncio.sleep(0.5)
    quiet_from = stack.fake.clock()
    await asyncio.sleep(1.0)
    assert stack.heard().seconds(quiet_from, stack.fake.clock()) == 0, "stop silences the guild"


@pytest.mark.parametrize("behaviour", HOSTILE)
async def test_a_hostile_stream_is_skipped_with_a_notice_and_the_next_track_plays(
    hostile_stack: Stack, e2e_media: E2EMedia, behaviour: str
) -> None:
    stack = hostile_stack
    await stack.command("play", {"query": e2e_media.server.url(f"hostile/{behaviour}/{BAD_SOURCE}")})
    await stack.command("play", {"query": e2e_media.url("a440.mp3")})
    notice = await _notice(stack)
    print(f"\n{behaviour}: {text_of(notice)}")
    await _heard_440(stack)
    await _stop_works(stack)
    assert_no_crash(stack)


async def test_commands_apply_while_the_current_track_keeps_failing(hostile_stack: Stack, e2e_media: E2EMedia) -> None:
    """A queue of broken items (each fails in turn) never holds up a skip, a clear or a stop."""
    stack = hostile_stack
    for behaviour in ("garbage", "html", "empty", "truncated") * 3:
        await stack.command("play", {"query": e2e_media.server.url(f"hostile/{behaviour}/{BAD_SOURCE}")})
    await stack.command("play", {"query": e2e_media.url("a440.mp3")})
    await _heard_440(stack)
    await stack.command("play", {"query": e2e_media.server.url(f"hostile/hang/{BAD_SOURCE}")})
    await stack.command("skip")
    await stack.until_state(lambda s: s.now_playing is not None and "t330" in s.now_playing.track.title)
    await _stop_works(stack)
    assert_no_crash(stack)


async def test_a_takeover_does_not_retry_the_item_its_owner_was_opening(
    hostile_stack: Stack, e2e_media: E2EMedia
) -> None:
    stack = hostile_stack
    await stack.command("play", {"query": e2e_media.server.url(f"hostile/hang/{BAD_SOURCE}")})
    await stack.command("play", {"query": e2e_media.url("a440.mp3")})
    opening = await stack.until_state(lambda s: s.trouble is not None and s.trouble.opening)
    assert opening.now_playing is not None and "t330" in opening.now_playing.track.title
    owner = await stack.owner()
    assert owner is not None
    await stack.workers[owner].kill()
    notice = await _notice(stack)
    assert "not tried again" in text_of(notice), text_of(notice)
    await _heard_440(stack)
    survivor = next(name for name in stack.workers if name != owner)
    assert await stack.owner() == survivor
    assert "track failed (interrupted)" in stack.workers[survivor].log()
    assert "track failed (timed_out)" not in stack.workers[survivor].log(), "the new owner retried it"
    await _stop_works(stack)
    assert_no_crash(stack)
