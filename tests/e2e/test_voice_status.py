"""Now playing in the voice channel's status, through the whole stack: gateway, workers, redis-server, fake Discord.

The test world's @everyone has no Set Voice Channel Status and no Manage Channels (`tests/gateway/e2e.py`), so by
default the bot lacks the permission; tests that want the status grant it on the voice channel to the bot alone,
which also means Discord lets the bot change the status only while it is connected there.
"""

from __future__ import annotations

import pytest

from gateway.wording.voice_status import now_playing_status
from localdiscord.records import RequestRecord
from localdiscord.world.permissions import SET_VOICE_CHANNEL_STATUS
from tests.e2e.media import E2EMedia
from tests.e2e.stack import Stack
from tests.gateway.e2e import answer, assert_quiet
from tests.localdiscord.fixtures import NEXTCORD_WARNINGS

pytestmark = [*NEXTCORD_WARNINGS, pytest.mark.e2e, pytest.mark.timeout(120)]


def status_requests(stack: Stack) -> list[RequestRecord]:
    path = f"/channels/{stack.world.voice.id}/voice-status"
    return [r for r in stack.fake.core.requests if r.method == "PUT" and r.path == path]


async def grant(stack: Stack) -> None:
    voice = stack.world.voice
    await stack.fake.world.set_overwrite(voice, stack.fake.bot_user_id, member=True, allow=SET_VOICE_CHANNEL_STATUS)


async def playing_status(stack: Stack, title: str) -> str:
    """The status the track now playing should show, once the player plays `title`."""
    state = await stack.until_state(lambda s: s.now_playing is not None and title in s.now_playing.track.title)
    assert state.now_playing is not None
    return now_playing_status(state.now_playing.track)


async def test_the_status_follows_play_skip_stop_and_leave(stack: Stack, e2e_media: E2EMedia) -> None:
    await grant(stack)
    voice = stack.world.voice
    await stack.command("play", {"query": e2e_media.url("a440.mp3")})
    await stack.command("play", {"query": e2e_media.url("steps.mp3")})
    first = await playing_status(stack, "a440")
    assert first.startswith("♪ ") and "a440" in first
    await stack.fake.world.wait_for_voice_status(voice, first)
    await stack.hear(0.5)
    await stack.command("skip")
    second = await playing_status(stack, "steps")
    await stack.fake.world.wait_for_voice_status(voice, second)
    await stack.command("stop")
    await stack.fake.world.wait_for_voice_status(voice, None)
    await stack.command("play", {"query": e2e_media.url("a440.mp3")})
    await stack.fake.world.wait_for_voice_status(voice, first)
    await stack.command("leave")
    await stack.fake.world.wait_for_voice_status(voice, None)
    await stack.until_state(lambda s: s.voice_channel_id is None)
    sent = [(r.json, r.status) for r in status_requests(stack)]
    assert sent == [
        ({"status": first}, 204),
        ({"status": second}, 204),
        ({"status": ""}, 204),
        ({"status": first}, 204),
        ({"status": ""}, 204),
    ], "one request per change, the clear before the bot left the channel"
    events = [r.d for r in stack.fake.core.gateway_log if r.t == "VOICE_CHANNEL_STATUS_UPDATE"]
    assert [e["status"] for e in events if isinstance(e, dict)] == [first, second, None, first, None]
    assert_quiet(stack.gateway.log() if stack.gateway else "")


async def test_the_setting_off_never_sets_it(stack: Stack, e2e_media: E2EMedia) -> None:
    await grant(stack)
    world = stack.world
    _, reply = await answer(world, "settings", world.admin, {"voice_status": False}, subcommand="set", timeout_s=20)
    assert "Settings saved" in reply.content, reply
    await stack.command("play", {"query": e2e_media.url("three.m3u")})
    await stack.until_history(3, timeout_s=40)
    assert status_requests(stack) == [] and world.voice.status is None


async def test_without_the_permission_music_plays_and_it_is_asked_once(stack: Stack, e2e_media: E2EMedia) -> None:
    await stack.command("play", {"query": e2e_media.url("three.m3u")})
    heard = await stack.hear(1.0)
    assert heard.decrypted > 0
    await stack.until_history(3, timeout_s=40)
    requests = status_requests(stack)
    assert [r.status for r in requests] == [403], "refused once, then not asked again for the next tracks"
    assert stack.world.voice.status is None
    assert stack.gateway is not None
    log = stack.gateway.log()
    assert_quiet(log)
    assert log.count("Discord refused to set the voice channel status") == 1, log[-3000:]
