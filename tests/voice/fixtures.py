"""pytest fixtures for the voice adapter against the fake Discord (registered in tests/conftest.py).

``voice_rig`` is a guild with a voice channel and two members, the bot logged in through a test gateway, and a
``VoiceConnection`` built by the same factory the worker uses; configure the fake with ``fake_discord_config``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import pytest

from tests.fakediscord.server import FakeDiscord
from tests.fakediscord.state import Channel, Guild, Member
from tests.voice.gateway_role import GatewayRole
from tests.voice.tone import TestPacer, tone_frames
from worker.voice.connection import VoiceConnection, VoiceEvent, VoiceTimings
from worker.voice.nextcord_adapter import build_voice_connection, check_voice_support, voice_ssl_context

TEST_TIMINGS = VoiceTimings(
    handshake_timeout_s=5.0,
    credentials_timeout_s=3.0,
    server_move_timeout_s=3.0,
    resume_timeout_s=3.0,
    close_timeout_s=1.0,
    backoff_initial_s=0.05,
    backoff_max_s=0.5,
)


@dataclass
class VoiceRig:
    fake: FakeDiscord
    guild: Guild
    channel: Channel
    alice: Member
    bob: Member
    gateway: GatewayRole
    connection: VoiceConnection
    frames: list[bytes]
    events: list[VoiceEvent] = field(default_factory=list)

    async def connect(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        await self.connection.connect(self.channel.id)
        assert await self.connection.wait_connected(timeout), self.events

    def pacer(self) -> TestPacer:
        return TestPacer(self.connection, self.frames)


@pytest.fixture(scope="session")
def tone_440() -> list[bytes]:
    check_voice_support("libopus.so.0")
    return tone_frames(440.0, seconds=1.0)


@pytest.fixture
async def voice_rig(fake_discord: FakeDiscord, tone_440: list[bytes]) -> AsyncIterator[VoiceRig]:
    guild = await fake_discord.create_guild("voice")
    channel = await fake_discord.create_voice_channel(guild, "music")
    alice = await fake_discord.create_member(guild, "alice")
    bob = await fake_discord.create_member(guild, "bob")
    async with aiohttp.ClientSession() as http:
        gateway = GatewayRole(http, fake_discord, guild.id)
        await gateway.start()
        events: list[VoiceEvent] = []
        connection = build_voice_connection(
            http_session=http,
            ssl_context=voice_ssl_context(fake_discord.ca_file),
            guild_id=guild.id,
            request_voice_state=gateway.request_voice_state,
            on_state=events.append,
            timings=TEST_TIMINGS,
        )
        gateway.connection = connection
        try:
            yield VoiceRig(fake_discord, guild, channel, alice, bob, gateway, connection, tone_440, events)
        finally:
            await connection.disconnect(leave=False)
            await gateway.stop()
