"""pytest fixtures for the voice adapter against the fake Discord (registered in tests/conftest.py).

``voice_rig`` is a guild with a voice channel and two members, the bot logged in through a test gateway, and a
``VoiceConnection`` built by the same factory the worker uses; configure the fake with ``fake_discord_config``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import pytest

from localdiscord.fake_discord import FakeDiscord
from localdiscord.voice.capture import HeardAudio
from localdiscord.voice.connection import VoiceConnection as FakeVoiceSession
from localdiscord.waiting import wait_until
from localdiscord.world.models import Channel, Guild, Member
from tests.localdiscord.clients.tone import tone_frames
from tests.voice.gateway_role import GatewayRole
from tests.voice.tone import TestPacer
from worker.voice.connection import VoiceConnection, VoiceEvent, VoiceStatus, VoiceTimings
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
    event_times: list[float] = field(default_factory=list)

    def record(self, event: VoiceEvent) -> None:
        self.events.append(event)
        self.event_times.append(time.monotonic())

    def connected_after(self, moment: float) -> float | None:
        """When the connection was next CONNECTED after ``moment`` (monotonic), if it was."""
        for at, event in zip(self.event_times, self.events, strict=True):
            if at >= moment and event.status is VoiceStatus.CONNECTED:
                return at
        return None

    async def connect(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        await self.connection.connect(self.channel.id)
        assert await self.connection.wait_connected(timeout), self.events

    def pacer(self) -> TestPacer:
        return TestPacer(self.connection, self.frames)

    async def dave_ready(self, transitions: int = 1) -> None:
        """Wait until the fake executed ``transitions`` DAVE transitions in the channel (and the bot switched keys)."""

        def executed() -> bool:
            call = self.fake.call(self.channel)
            return call is not None and len(call.stats.transitions_executed) >= transitions

        await wait_until(executed, 5.0, f"{transitions} DAVE transition(s)")
        await asyncio.sleep(0.05)  # the bot switches keys on op 22, just sent

    async def connect_with_listener(self) -> FakeVoiceSession:
        """Alice listens; the bot connects and DAVE is established; returns the fake's view of the session."""
        await self.fake.join_voice(self.alice, self.channel)
        await self.connect()
        await self.dave_ready()
        return await self.fake.wait_for_voice_connection(self.guild)

    async def hear(self, seconds: float, since: float, listener: Member | None = None) -> HeardAudio:
        """Wait until the listener (default Alice) heard ``seconds`` of audio that arrived after ``since``."""
        return await self.fake.wait_for_audio(
            self.channel, seconds=seconds, listener=listener or self.alice, since=since, timeout=seconds + 5
        )


@contextlib.asynccontextmanager
async def open_voice_rig(
    fake: FakeDiscord, frames: list[bytes], timings: VoiceTimings = TEST_TIMINGS
) -> AsyncIterator[VoiceRig]:
    """A new guild on ``fake``, the test gateway logged in, and a voice connection for that guild."""
    guild = await fake.create_guild("voice")
    channel = await fake.create_voice_channel(guild, "music")
    alice = await fake.create_member(guild, "alice")
    bob = await fake.create_member(guild, "bob")
    async with aiohttp.ClientSession() as http:
        gateway = GatewayRole(http, fake, guild.id)
        await gateway.start()
        rig: VoiceRig | None = None

        def on_state(event: VoiceEvent) -> None:
            if rig is not None:
                rig.record(event)

        connection = build_voice_connection(
            http_session=http,
            ssl_context=voice_ssl_context(fake.ca_file),
            guild_id=guild.id,
            request_voice_state=gateway.request_voice_state,
            on_state=on_state,
            timings=timings,
        )
        gateway.connection = connection
        rig = VoiceRig(fake, guild, channel, alice, bob, gateway, connection, frames)
        try:
            yield rig
        finally:
            await connection.disconnect(leave=False)
            await gateway.stop()


@pytest.fixture(scope="session")
def tone_440() -> list[bytes]:
    check_voice_support("libopus.so.0")
    return tone_frames(440.0, seconds=1.0)


@pytest.fixture
async def voice_rig(fake_discord: FakeDiscord, tone_440: list[bytes]) -> AsyncIterator[VoiceRig]:
    async with open_voice_rig(fake_discord, tone_440) as rig:
        yield rig
