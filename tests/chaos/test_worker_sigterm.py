"""SIGTERM: the owner hands its guild off at the exact position and another replica continues at once."""

from __future__ import annotations

import time

import pytest

from tests.chaos.ledger import ledger
from tests.chaos.media import ChaosMedia
from tests.chaos.timeline import describe_steps, ramp_takeover
from tests.e2e.stack import Stack
from tests.localdiscord.fixtures import NEXTCORD_WARNINGS

pytestmark = [*NEXTCORD_WARNINGS, pytest.mark.e2e, pytest.mark.timeout(120)]

HANDOFF_WITHIN_S = 0.5


@pytest.mark.parametrize("ramp", ["ramp.mp3", "ramp.webm"], ids=["transcoded", "opus-passthrough"])
async def test_sigterm_hands_the_guild_off_at_the_exact_position(
    stack: Stack, chaos_media: ChaosMedia, ramp: str
) -> None:
    await stack.command("play", {"query": chaos_media.url(ramp)})
    await stack.command("play", {"query": chaos_media.url("c250.mp3")})
    await stack.hear(3.0)
    before = await ledger(stack.redis, stack.keys, stack.world.guild.id)
    victim = await stack.owner()
    assert victim is not None
    signalled_at, signalled_wall = stack.fake.clock(), time.time()
    started = time.monotonic()
    code = await stack.workers[victim].terminate()
    exit_s = time.monotonic() - started
    await stack.hear(1.5, since=signalled_at + 0.1)
    takeover = ramp_takeover(stack.heard(), signalled_at, stack.fake.clock())
    print(f"\nSIGTERM handoff: {takeover.describe()}; the worker exited {exit_s:.2f} s after SIGTERM")
    print(describe_steps(stack.logs_by_process(), signalled_wall))
    assert code == 0
    assert await stack.owner() not in (None, victim)
    assert takeover.resume_after_event_s <= HANDOFF_WITHIN_S, takeover.describe()
    assert abs(takeover.position_lost_s) <= 0.1, takeover.describe()
    assert await ledger(stack.redis, stack.keys, stack.world.guild.id) == before
