"""Discord faults from the fake: voice closes 4006/4014/4015, UDP loss, endpoint moves, gateway RECONNECT and
INVALID_SESSION. Each time playback recovers, and at the position where the sound stopped (playback holds while
voice is down, so a reconnect loses nothing)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from localdiscord.config import FakeConfig
from tests.chaos.media import ChaosMedia
from tests.chaos.timeline import Takeover, longest_gap, ramp_takeover
from tests.e2e.stack import Stack
from tests.localdiscord.fixtures import NEXTCORD_WARNINGS

pytestmark = [*NEXTCORD_WARNINGS, pytest.mark.e2e, pytest.mark.timeout(150)]

RECOVER_WITHIN_S = 3.0
VOICE_GRACE_S = 2.0
"""Discord ends a dead gateway session's voice sessions this long after it died (shortened from ~10 s)."""
UDP_LOSS = 0.05


@pytest.fixture
def fake_discord_config() -> FakeConfig:
    return FakeConfig(voice_grace=VOICE_GRACE_S)


async def _fault(stack: Stack, name: str, inject: Callable[[], Awaitable[object]]) -> Takeover:
    """Inject a fault while the ramp plays; wait for a second of sound after it; how it went."""
    fault_at = stack.fake.clock()
    await inject()
    await asyncio.sleep(0.3)
    await stack.hear(1.0, since=stack.fake.clock())
    recovery = ramp_takeover(stack.heard(), fault_at, stack.fake.clock())
    print(f"{name}: {recovery.describe()}")
    assert recovery.resume_after_event_s <= RECOVER_WITHIN_S, f"{name}: {recovery.describe()}"
    assert -0.1 <= recovery.position_lost_s <= 0.2, f"{name}: {recovery.describe()}"
    return recovery


async def test_voice_closes_moves_and_udp_loss(stack: Stack, chaos_media: ChaosMedia) -> None:
    guild = stack.world.guild
    fake = stack.fake
    await stack.command("play", {"query": chaos_media.url("ramp.mp3")})
    await stack.hear(2.0)
    print()
    await _fault(stack, "voice close 4006 (session invalid: rejoin)", lambda: fake.close_voice(guild, 4006))
    await _fault(stack, "voice close 4015 (server crashed: resume)", lambda: fake.close_voice(guild, 4015))

    async def server_change() -> None:  # Discord's voice server change: 4014, then the new server's credentials
        await fake.close_voice(guild, 4014)
        await fake.move_voice_endpoint(guild)

    await _fault(stack, "voice close 4014 + new endpoint", server_change)
    await _fault(stack, "endpoint move while connected", lambda: fake.move_voice_endpoint(guild))
    connection = fake.voice_connection(guild)
    assert connection is not None and connection.server == 0, "moved back to the first voice server"

    fake.faults.set_udp(loss=UDP_LOSS, seed=7)
    lossy_from = fake.clock()
    await asyncio.sleep(4.0)
    fake.faults.clear()
    heard = stack.heard()
    share = heard.seconds(lossy_from, fake.clock()) / (fake.clock() - lossy_from)
    gap = longest_gap(heard, lossy_from, fake.clock())
    print(f"{UDP_LOSS:.0%} UDP loss: {share:.1%} of the audio heard, longest gap {gap.seconds * 1000:.0f} ms")
    assert share >= 1 - 3 * UDP_LOSS and gap.seconds < 0.2
    assert (await stack.state()) is not None


async def test_gateway_reconnect_and_invalid_session(stack: Stack, chaos_media: ChaosMedia) -> None:
    fake = stack.fake
    await stack.command("play", {"query": chaos_media.url("ramp.mp3")})
    await stack.command("play", {"query": chaos_media.url("c250.mp3")})
    await stack.hear(2.0)
    print()
    await _fault(stack, "gateway RECONNECT", fake.gateway.reconnect)
    await _fault(stack, "gateway INVALID_SESSION (resumable)", lambda: fake.gateway.invalid_session(True))
    killed = await _fault(stack, "gateway INVALID_SESSION (not resumable)", lambda: fake.gateway.invalid_session(False))
    # the gateway identifies anew (nextcord waits 1-5 s) and rejoins voice under its new session; Discord ends the
    # dead session's voice after voice_grace, which may come first: then playback holds until the rejoin
    dead = killed.gap.stopped_at
    await fake.gateway.wait_for_session(timeout=15)
    await asyncio.sleep(VOICE_GRACE_S + 1.0)
    await stack.hear(1.0, since=fake.clock())
    rejoined = ramp_takeover(stack.heard(), dead, fake.clock())
    print(f"the dead session's voice ended, the new session rejoined: {rejoined.describe()}")
    assert -0.1 <= rejoined.position_lost_s <= 0.2, rejoined.describe()
    for process in [*stack.workers.values()]:
        assert process.running
    _, reply = await stack.command("skip")
    assert "Skipped" in reply.content, reply
    await stack.until_state(lambda s: s.now_playing is not None and s.now_playing.track.title == "c250")
