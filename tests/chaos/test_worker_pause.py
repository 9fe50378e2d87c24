"""SIGSTOP the owner until its lease expires, then SIGCONT it: the old owner never plays or writes again."""

from __future__ import annotations

import asyncio
import signal
import time
from dataclasses import dataclass

import pytest

from localdiscord.voice.connection import VoiceConnection
from tests.chaos.ledger import ledger
from tests.chaos.media import ChaosMedia
from tests.chaos.spies import RedisSpy, UdpTap
from tests.chaos.timeline import Takeover, longest_gap, ramp_takeover
from tests.e2e.stack import Stack
from tests.localdiscord.fixtures import NEXTCORD_WARNINGS

pytestmark = [*NEXTCORD_WARNINGS, pytest.mark.e2e, pytest.mark.timeout(120)]

RESUME_WITHIN_S = 2.0
AFTER_SIGCONT_S = 3.0


async def _lease(stack: Stack) -> tuple[str, int]:
    raw = await stack.redis.get(stack.keys.lease(stack.world.guild.id))
    assert raw is not None, "nobody owns the guild"
    owner, _, fence = raw.decode().rpartition("|")
    return owner, int(fence)


def _session(stack: Stack) -> VoiceConnection:
    session = stack.fake.voice_connection(stack.world.guild)
    assert session is not None, stack.tail_logs()
    return session


@dataclass(frozen=True)
class Zombie:
    """What happened around the pause: the sessions, the takeover and when the old owner woke up."""

    victim: str
    old_session: VoiceConnection
    new_session: VoiceConnection
    new_fence: int
    takeover: Takeover
    continued_at: float
    continued_wall: float
    ended_at: float


async def _pause_until_taken_over_then_continue(stack: Stack) -> Zombie:
    old_session = _session(stack)
    victim, old_fence = await _lease(stack)
    worker = stack.workers[victim]
    stopped_at = stack.fake.clock()
    worker.signal(signal.SIGSTOP)
    await stack.hear(1.0, since=stopped_at + 0.2)
    takeover = ramp_takeover(stack.heard(), stopped_at, stack.fake.clock())
    print(f"\nSIGSTOP takeover: {takeover.describe()}")
    new_owner, new_fence = await _lease(stack)
    new_session = _session(stack)
    assert new_owner != victim and new_fence > old_fence
    assert new_session.id != old_session.id
    await asyncio.sleep(1.0)
    continued_at, continued_wall = stack.fake.clock(), time.time()
    worker.signal(signal.SIGCONT)
    await worker.wait_for_log("lease lost", 10)
    await asyncio.sleep(AFTER_SIGCONT_S)
    assert worker.running, "a fenced-out worker stays up (it serves its other guilds)"
    ended_at = stack.fake.clock()
    return Zombie(victim, old_session, new_session, new_fence, takeover, continued_at, continued_wall, ended_at)


def _assert_voice_fenced(stack: Stack, tap: UdpTap, zombie: Zombie) -> None:
    """After the takeover every RTP packet comes from the new owner's session, which stays the live one."""
    assert tap.from_session(zombie.old_session.ssrc), "the tap saw the old session's audio"
    new_ssrc = zombie.new_session.ssrc
    late = [a for a in tap.arrivals if a.at > zombie.takeover.gap.resumed_at and a.ssrc != new_ssrc]
    assert not late, f"{len(late)} RTP packets from another voice session after the takeover: {late[:3]}"
    live = _session(stack)
    assert live.id == zombie.new_session.id, "the old owner must not take the voice session back"
    heard = stack.heard()
    assert heard.seconds(zombie.continued_at, zombie.ended_at) >= 0.9 * AFTER_SIGCONT_S, "the new owner is heard"
    gap = longest_gap(heard, zombie.continued_at, zombie.ended_at)
    print(f"longest gap after SIGCONT: {gap.seconds * 1000:.0f} ms at +{gap.stopped_at - zombie.continued_at:.3f} s")
    assert gap.seconds < 0.25, f"the new owner's audio was interrupted for {gap.seconds:.2f} s after SIGCONT"


async def test_a_paused_owner_is_fenced_out_of_voice_and_redis(stack: Stack, chaos_media: ChaosMedia) -> None:
    guild = stack.world.guild
    await stack.command("play", {"query": chaos_media.url("ramp.mp3")})
    await stack.command("play", {"query": chaos_media.url("c250.mp3")})
    with UdpTap(stack.fake) as tap:
        await stack.hear(3.0)
        async with RedisSpy(stack.redis) as spy:
            zombie = await _pause_until_taken_over_then_continue(stack)
    assert zombie.takeover.resume_after_event_s <= RESUME_WITHIN_S, zombie.takeover.describe()
    _assert_voice_fenced(stack, tap, zombie)
    # Redis: the deposed owner is back on Redis (heartbeats), yet nothing it wrote about the guild landed
    client = f"encore-worker:{zombie.victim}"
    assert spy.by(client, after=zombie.continued_wall), "the spy sees the old owner's commands after SIGCONT"
    landed = spy.writes_by(client, touching=str(guild.id), after=zombie.continued_wall)
    assert not landed, f"writes by the deposed owner landed: {landed}"
    state = await stack.state()
    assert state is not None and state.fence == zombie.new_fence
    assert (await ledger(stack.redis, stack.keys, guild.id)).titles == ["ramp", "c250"]
