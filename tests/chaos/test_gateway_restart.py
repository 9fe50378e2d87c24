"""Gateway kill -9 and restart: guilds keep playing, commands work again, voice ended by Discord is rejoined."""

from __future__ import annotations

import asyncio

import pytest

from localdiscord.config import FakeConfig
from tests.chaos.ledger import ledger
from tests.chaos.media import ChaosMedia
from tests.chaos.timeline import longest_gap, ramp_takeover
from tests.e2e.stack import Stack
from tests.localdiscord.fixtures import NEXTCORD_WARNINGS

pytestmark = [*NEXTCORD_WARNINGS, pytest.mark.e2e, pytest.mark.timeout(150)]

OUTAGE_S = 3.0
KEEPS_VOICE = 30.0
"""Discord keeps a dead gateway session's voice sessions longer than the outage."""
ENDS_VOICE = 0.5
"""Discord ends them (4014) half a second after the gateway session died."""


@pytest.fixture
def fake_discord_config(request: pytest.FixtureRequest) -> FakeConfig:
    return FakeConfig(voice_grace=request.param)


@pytest.mark.parametrize(
    "fake_discord_config", [KEEPS_VOICE, ENDS_VOICE], indirect=True, ids=["voice-kept", "voice-ended"]
)
async def test_gateway_kill_9_and_restart(
    stack: Stack, chaos_media: ChaosMedia, fake_discord_config: FakeConfig
) -> None:
    await stack.command("play", {"query": chaos_media.url("ramp.mp3")})
    await stack.command("play", {"query": chaos_media.url("c250.mp3")})
    await stack.hear(3.0)
    assert stack.gateway is not None
    killed_at = stack.fake.clock()
    await stack.gateway.kill()
    await asyncio.sleep(OUTAGE_S)
    heard = stack.heard()
    if fake_discord_config.voice_grace > OUTAGE_S:  # nothing is lost while the gateway is down
        gap = longest_gap(heard, killed_at - 0.5, stack.fake.clock())
        assert gap.seconds < 0.1, f"playback stopped for {gap.seconds:.2f} s while the gateway was down"
    await stack.start_gateway()
    restarted_at = stack.fake.clock()
    await stack.hear(1.5, since=restarted_at)
    takeover = ramp_takeover(
        heard, killed_at if fake_discord_config.voice_grace < OUTAGE_S else restarted_at, stack.fake.clock()
    )
    print(f"\ngateway restart (voice_grace {fake_discord_config.voice_grace} s): {takeover.describe()}")
    assert -0.1 <= takeover.position_lost_s <= 1.0, takeover.describe()
    _, reply = await stack.command("skip")
    assert "Skipped" in reply.content, reply
    await stack.until_state(lambda s: s.now_playing is not None and s.now_playing.track.title == "c250")
    since = stack.fake.clock() + 0.3
    await stack.hear(0.5, since=since)
    assert abs(heard.dominant_frequency(since, stack.fake.clock()) - 250) < 5
    assert (await ledger(stack.redis, stack.keys, stack.world.guild.id)).titles == ["ramp", "c250"]
    for worker in stack.workers.values():
        assert worker.running
