"""kill -9 of the worker that owns a playing guild: another replica resumes the same track, nothing lost twice."""

from __future__ import annotations

import asyncio

import pytest

from tests.chaos.ledger import ledger
from tests.chaos.media import ChaosMedia
from tests.chaos.timeline import ramp_takeover
from tests.e2e.stack import Stack
from tests.localdiscord.fixtures import NEXTCORD_WARNINGS

pytestmark = [*NEXTCORD_WARNINGS, pytest.mark.e2e, pytest.mark.timeout(150)]

RESUME_WITHIN_S = 2.0
MAX_POSITION_LOST_S = 1.0


async def _owner(stack: Stack) -> str:
    owner = await stack.owner()
    assert owner is not None, stack.tail_logs()
    return owner


async def test_kill_9_of_the_owner_resumes_the_same_track_and_a_skip_in_the_takeover_applies_once(
    stack: Stack, chaos_media: ChaosMedia
) -> None:
    for name in ("ramp.mp3", "c250.mp3", "c350.mp3", "c450.mp3"):
        await stack.command("play", {"query": chaos_media.url(name)})
    await stack.hear(3.0)
    before = await ledger(stack.redis, stack.keys, stack.world.guild.id)
    assert before.titles == ["ramp", "c250", "c350", "c450"], before

    victim = await _owner(stack)
    killed_at = stack.fake.clock()
    await stack.workers[victim].kill()
    await stack.hear(1.5, since=killed_at + 0.2)
    takeover = ramp_takeover(stack.heard(), killed_at, stack.fake.clock())
    print(f"\nkill -9 takeover: {takeover.describe()}")
    assert await _owner(stack) != victim
    assert takeover.resume_after_event_s <= RESUME_WITHIN_S, takeover.describe()
    assert -0.1 <= takeover.position_lost_s <= MAX_POSITION_LOST_S, takeover.describe()
    assert await ledger(stack.redis, stack.keys, stack.world.guild.id) == before

    # the killed replica comes back; now kill the new owner and skip while nobody owns the guild
    await stack.start_worker(victim)
    second = await _owner(stack)
    killed_at = stack.fake.clock()
    await stack.workers[second].kill()
    _, reply = await stack.command("skip")
    assert "Skipped" in reply.content, reply
    state = await stack.until_state(lambda s: s.now_playing is not None and s.now_playing.track.title == "c250")
    assert state.position_ms < 2000
    heard = await stack.hear(0.5, since=killed_at + 0.5)
    print(f"skip during the takeover applied {stack.fake.clock() - killed_at:.2f} s after the kill")
    await asyncio.sleep(1.0)
    after = await ledger(stack.redis, stack.keys, stack.world.guild.id)
    assert after.titles == before.titles and after.uids == before.uids, after
    assert after.history == ["ramp"] and after.now_playing == "c250", "the skip applies exactly once"
    assert abs(heard.dominant_frequency(killed_at + 0.5, stack.fake.clock()) - 250) < 5
