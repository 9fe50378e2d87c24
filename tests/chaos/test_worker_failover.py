"""A killed owner is taken over at once, a paused one only when its lease expires (worker/ownership/peers.py).

The lease is long here (5 s), so the two cases cannot be confused: the lease key's own history says which way the
guild changed hands. A lease freed because its owner's process is gone shows `del` then `set` (the claim); a lease
left to expire shows `expired` then `set`. Either way the new owner holds a higher fence, only its voice session
sends audio after the takeover, and nothing is lost or played twice.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from localdiscord.fake_discord import FakeDiscord
from localdiscord.voice.connection import VoiceConnection
from tests.chaos.ledger import Ledger, ledger
from tests.chaos.media import ChaosMedia
from tests.chaos.spies import KeyEvents, RedisSpy, UdpTap
from tests.chaos.timeline import Takeover, ramp_takeover
from tests.e2e.stack import Stack, started_stack
from tests.localdiscord.fixtures import NEXTCORD_WARNINGS

pytestmark = [*NEXTCORD_WARNINGS, pytest.mark.e2e, pytest.mark.timeout(150)]

LEASE_MS = 5000
DETECTED_WITHIN_S = LEASE_MS / 2000
"""A generous bound: the takeover of a killed owner does not wait for its lease (which has 3.8-5 s left)."""


@pytest.fixture
async def long_lease_stack(
    fake_discord: FakeDiscord, redis: Redis, redis_url: str, tmp_path: Path
) -> AsyncIterator[Stack]:
    env = {"ENCORE_WORKER__LEASE_MS": str(LEASE_MS)}
    async with started_stack(fake_discord, redis, redis_url, tmp_path / "logs", worker_env=env) as running:
        yield running


async def _lease(stack: Stack) -> tuple[str, int]:
    raw = await stack.redis.get(stack.keys.lease(stack.world.guild.id))
    assert raw is not None, f"nobody owns the guild\n{stack.tail_logs()}"
    owner, _, fence = raw.decode().rpartition("|")
    return owner, int(fence)


def _session(stack: Stack) -> VoiceConnection:
    session = stack.fake.voice_connection(stack.world.guild)
    assert session is not None, stack.tail_logs()
    return session


async def _playing(stack: Stack, chaos_media: ChaosMedia) -> Ledger:
    await stack.command("play", {"query": chaos_media.url("ramp.mp3")})
    await stack.command("play", {"query": chaos_media.url("c250.mp3")})
    await stack.hear(2.0)
    return await ledger(stack.redis, stack.keys, stack.world.guild.id)


async def _assert_taken_over_cleanly(
    stack: Stack, tap: UdpTap, takeover: Takeover, old: tuple[str, int], before: Ledger
) -> None:
    new_owner, new_fence = await _lease(stack)
    assert new_owner != old[0] and new_fence > old[1], (old, new_owner, new_fence)
    new_session = _session(stack)
    late = [a for a in tap.arrivals if a.at > takeover.gap.resumed_at and a.ssrc != new_session.ssrc]
    assert not late, f"{len(late)} RTP packets from another voice session after the takeover: {late[:3]}"
    state = await stack.state()
    assert state is not None and state.fence == new_fence
    assert await ledger(stack.redis, stack.keys, stack.world.guild.id) == before, "nothing lost or played twice"


async def test_a_killed_owner_is_taken_over_at_once(long_lease_stack: Stack, chaos_media: ChaosMedia) -> None:
    stack = long_lease_stack
    before = await _playing(stack, chaos_media)
    old = await _lease(stack)
    with UdpTap(stack.fake) as tap:
        async with KeyEvents(stack.redis, stack.keys.lease(stack.world.guild.id)) as lease_events:
            killed_at = stack.fake.clock()
            await stack.workers[old[0]].kill()
            await stack.hear(1.0, since=killed_at + 0.1)
            takeover = ramp_takeover(stack.heard(), killed_at, stack.fake.clock())
        print(f"\nkill -9 takeover with a {LEASE_MS} ms lease: {takeover.describe()}; lease: {lease_events.seen}")
        assert lease_events.seen[:2] == ["del", "set"], f"freed, then claimed: {lease_events.seen}"
        assert "expired" not in lease_events.seen, lease_events.seen
        assert takeover.resume_after_event_s < DETECTED_WITHIN_S, takeover.describe()
        await _assert_taken_over_cleanly(stack, tap, takeover, old, before)


async def test_a_paused_owner_is_taken_over_only_when_its_lease_expires(
    long_lease_stack: Stack, chaos_media: ChaosMedia
) -> None:
    stack = long_lease_stack
    before = await _playing(stack, chaos_media)
    old = await _lease(stack)
    victim = stack.workers[old[0]]
    with UdpTap(stack.fake) as tap:
        async with KeyEvents(stack.redis, stack.keys.lease(stack.world.guild.id)) as lease_events:
            stopped_at = stack.fake.clock()
            victim.signal(signal.SIGSTOP)
            await stack.hear(1.0, since=stopped_at + 0.1, timeout_s=LEASE_MS / 1000 + 20)
            takeover = ramp_takeover(stack.heard(), stopped_at, stack.fake.clock())
        print(f"\nSIGSTOP takeover with a {LEASE_MS} ms lease: {takeover.describe()}; lease: {lease_events.seen}")
        assert lease_events.seen[:2] == ["expired", "set"], f"expired, then claimed: {lease_events.seen}"
        assert "del" not in lease_events.seen, "a paused process is not proven dead: its lease is not freed early"
        async with RedisSpy(stack.redis) as spy:
            continued_wall = time.time()
            victim.signal(signal.SIGCONT)
            await victim.wait_for_log("lease lost", 10)
            await asyncio.sleep(1.0)
        assert victim.running, "a fenced-out worker stays up"
        landed = spy.writes_by(f"encore-worker:{old[0]}", touching=str(stack.world.guild.id), after=continued_wall)
        assert not landed, f"writes by the deposed owner landed: {landed}"
        await _assert_taken_over_cleanly(stack, tap, takeover, old, before)
