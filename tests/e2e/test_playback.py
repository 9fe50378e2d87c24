"""/play to sound, end to end: gateway, two workers, redis-server, fake Discord with DAVE v1, loopback media."""

from __future__ import annotations

import pytest

from tests.e2e.media import E2EMedia
from tests.e2e.stack import Stack
from tests.fakediscord.fixtures import NEXTCORD_WARNINGS

pytestmark = [*NEXTCORD_WARNINGS, pytest.mark.e2e, pytest.mark.timeout(120)]


async def test_play_a_440_hz_file_is_heard_at_440_hz(stack: Stack, e2e_media: E2EMedia) -> None:
    _, reply = await stack.command("play", {"query": e2e_media.url("a440.mp3")})
    assert "a440" in reply.content.lower() or reply.embeds, reply
    heard = await stack.hear(2.0)
    assert abs(heard.dominant_frequency() - 440) < 5
    assert heard.decrypted > 0, "frames must arrive DAVE-encrypted and be decrypted by the listener"
    state = await stack.until_state(lambda s: s.now_playing is not None and s.position_ms > 0)
    assert state.now_playing is not None
    assert state.voice_channel_id == stack.world.voice.id
