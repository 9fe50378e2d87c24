"""Vote skip on the whole stack: two of three listeners vote, and the next track is what the channel hears."""

from __future__ import annotations

import pytest

from localdiscord.world.models import Member
from tests.e2e.media import E2EMedia
from tests.e2e.stack import Stack
from tests.gateway.e2e import answer, text_of
from tests.localdiscord.fixtures import NEXTCORD_WARNINGS

pytestmark = [*NEXTCORD_WARNINGS, pytest.mark.e2e, pytest.mark.timeout(120)]


async def vote(stack: Stack, member: Member) -> str:
    _, reply = await answer(stack.world, "skip", member, timeout_s=20)
    return text_of(reply)


async def test_two_of_three_listeners_skip_to_the_next_track(stack: Stack, e2e_media: E2EMedia) -> None:
    world = stack.world
    await stack.command("play", {"query": e2e_media.url("a440.mp3")})
    await stack.command("play", {"query": e2e_media.url("steps.mp3")})
    heard = await stack.hear(0.5)
    assert abs(heard.dominant_frequency() - 440) < 5
    assert (await vote(stack, world.bob)).endswith("1 of 2 votes — 1 more needed.")
    assert "already voted" in await vote(stack, world.bob)
    state = await stack.until_state(lambda s: s.now_playing is not None)
    assert state.now_playing is not None and "a440" in state.now_playing.track.title, "one vote skips nothing"
    assert (await vote(stack, world.dave)).startswith("⏭ Vote passed (2 of 2 votes)")
    await stack.until_state(lambda s: s.now_playing is not None and "steps" in s.now_playing.track.title)
    since = stack.fake.clock()
    await stack.hear(0.6, since=since)
    assert abs(heard.dominant_frequency(since, stack.fake.clock()) - 330) < 5, "the next track is heard"
    assert (await vote(stack, world.bob)).endswith("1 of 2 votes — 1 more needed."), "votes reset on a new track"
    assert (await vote(stack, world.alice)).startswith("⏭ Skipped"), "alice queued it: she skips at once"
    await stack.until_state(lambda s: s.now_playing is None)
