"""Four voice bugs of stock nextcord 3.2.0 (each test names its bug), reproduced against the fake.

Each ``xfail(strict=True)`` test asserts the *correct* behaviour: it fails with stock nextcord 3.2.0 and
will XPASS (failing the suite) once upstream fixes the bug. The control tests run the same scenario with
a tiny test-local fix, which proves the fake supports the correct behaviour.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, override

import nextcord
import pytest
from nextcord.gateway import DiscordVoiceWebSocket

from localdiscord.config import FakeConfig
from localdiscord.fake_discord import FakeDiscord
from localdiscord.world.models import Channel, Guild, Member
from tests.localdiscord.clients.nextcord_bot import TonePCMAudio, client_options, make_tone, running, wait_for
from tests.localdiscord.fixtures import NEXTCORD_WARNINGS

pytestmark = NEXTCORD_WARNINGS


class FixedVoiceWebSocket(DiscordVoiceWebSocket):
    """Test-local fixes for bugs 1, 3 and 4 (what the worker's adapter is meant to do)."""

    @override
    async def received_message(self, msg: dict[str, Any]) -> None:
        if msg.get("d") is None:
            msg = {**msg, "d": {}}
        await super().received_message(msg)
        if isinstance(msg.get("seq"), int):
            self.seq_ack = msg["seq"]
        state = self._connection.e2ee_state
        if msg["op"] == self.DAVE_PREPARE_EPOCH and state is not None:
            await state.prepare_epoch(msg["d"]["epoch"], msg["d"]["protocol_version"])


class FixedVoiceClient(nextcord.VoiceClient):
    @override
    async def connect_websocket(self) -> None:
        self.ws = await FixedVoiceWebSocket.from_client(self)
        self._connected.clear()
        while self.ws.secret_key is None:
            await self.ws.poll_event()
        self._connected.set()


@pytest.fixture(scope="module")
def tone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tone(tmp_path_factory.mktemp("tone") / "tone440.wav", 440.0, 1.5)


async def _world(fake: FakeDiscord) -> tuple[Guild, Channel, Member, Member]:
    guild = await fake.create_guild("bugs")
    music = await fake.create_voice_channel(guild, "music")
    alice = await fake.create_member(guild, "alice")
    bob = await fake.create_member(guild, "bob")
    return guild, music, alice, bob


async def _connect(client: nextcord.Client, channel: Channel, cls: type[nextcord.VoiceClient]) -> nextcord.VoiceClient:
    voice_channel = client.get_channel(channel.id)
    assert isinstance(voice_channel, nextcord.VoiceChannel)
    voice: nextcord.VoiceClient = await voice_channel.connect(cls=cls)
    return voice


async def _sole_member_reset_then_new_member(tone: Path, cls: type[nextcord.VoiceClient]) -> tuple[int, int]:
    """Alice listens, leaves (sole-member reset), Bob joins; returns Bob's (decrypted, failed) frames."""
    async with FakeDiscord(FakeConfig(transition_timeout=0.5)) as fake:
        _guild, music, alice, bob = await _world(fake)
        await fake.join_voice(alice, music)
        client = nextcord.Client(**client_options(fake))  # type: ignore[arg-type]
        async with running(client, fake):
            voice = await _connect(client, music, cls)
            call = fake.call(music)
            assert call is not None
            await wait_for(lambda: call.stats.transitions_executed or None)
            await fake.leave_voice(alice)
            assert call.stats.sole_member_resets == 1
            await fake.join_voice(bob, music)
            await asyncio.sleep(1.0)
            voice.play(TonePCMAudio(str(tone)))
            await wait_for(lambda: not voice.is_playing() or None)
            heard = fake.heard(music, bob)
            return heard.decrypted, heard.decrypt_failures


@pytest.mark.xfail(
    strict=True, raises=AssertionError, reason="nextcord 3.2.0 bug 1: op 24 (DAVE_PREPARE_EPOCH) is never dispatched"
)
async def test_bug1_new_member_hears_bot_after_sole_member_reset(tone: Path) -> None:
    decrypted, failed = await _sole_member_reset_then_new_member(tone, nextcord.VoiceClient)
    assert decrypted > 50 and failed == 0, (decrypted, failed)


async def test_bug1_control_fixed_client_is_heard_after_reset(tone: Path) -> None:
    decrypted, failed = await _sole_member_reset_then_new_member(tone, FixedVoiceClient)
    assert decrypted > 50 and failed == 0, (decrypted, failed)


@pytest.mark.xfail(
    strict=True, raises=AssertionError, reason="nextcord 3.2.0 bug 2: close 4015 kills the poll task, leaving a zombie"
)
async def test_bug2_4015_resumes_on_a_new_socket() -> None:
    async with FakeDiscord(FakeConfig(dave_version=0)) as fake:
        guild, music, _alice, _bob = await _world(fake)
        client = nextcord.Client(**client_options(fake))  # type: ignore[arg-type]
        async with running(client, fake):
            voice = await _connect(client, music, nextcord.VoiceClient)
            conn = await fake.close_voice(guild, 4015)
            await asyncio.sleep(2.0)
            assert voice.is_connected()
            assert conn.resumes == 1, "the client never sent RESUME (op 7) on a new websocket"


async def _resume_by_hand(fake: FakeDiscord, voice: nextcord.VoiceClient, guild: Guild) -> DiscordVoiceWebSocket:
    """Crash the voice server (4015), then resume the way a fixed client would: a new socket + op 7."""
    await fake.close_voice(guild, 4015)
    await asyncio.sleep(0.3)
    ws_class = type(voice.ws)
    ws: DiscordVoiceWebSocket = await ws_class.from_client(voice, resume=True)
    await ws.poll_event()  # HELLO
    return ws


@pytest.mark.xfail(
    strict=True, raises=AttributeError, reason="nextcord 3.2.0 bug 3: RESUMED with d null crashes received_message"
)
async def test_bug3_resumed_with_null_d_is_handled() -> None:
    async with FakeDiscord(FakeConfig(dave_version=0, resumed_d_null=True)) as fake:
        guild, music, _alice, _bob = await _world(fake)
        client = nextcord.Client(**client_options(fake))  # type: ignore[arg-type]
        async with running(client, fake):
            voice = await _connect(client, music, nextcord.VoiceClient)
            ws = await _resume_by_hand(fake, voice, guild)
            try:
                await ws.poll_event()  # RESUMED {"op": 9, "d": null}
            finally:
                await ws.close()


async def test_bug3_control_fixed_socket_handles_null_resumed() -> None:
    async with FakeDiscord(FakeConfig(dave_version=0, resumed_d_null=True)) as fake:
        guild, music, _alice, _bob = await _world(fake)
        client = nextcord.Client(**client_options(fake))  # type: ignore[arg-type]
        async with running(client, fake):
            voice = await _connect(client, music, FixedVoiceClient)
            ws = await _resume_by_hand(fake, voice, guild)
            try:
                await ws.poll_event()
                conn = fake.voice_connection(guild)
                assert conn is not None and conn.resumes == 1
            finally:
                await ws.close()


async def _last_heartbeat_lag(cls: type[nextcord.VoiceClient]) -> tuple[int | None, int]:
    config = FakeConfig(dave_version=0, voice_heartbeat_interval_ms=200)
    async with FakeDiscord(config) as fake:
        guild, music, _alice, _bob = await _world(fake)
        client = nextcord.Client(**client_options(fake))  # type: ignore[arg-type]
        async with running(client, fake):
            await _connect(client, music, cls)
            conn = await fake.wait_for_voice_connection(guild)
            await wait_for(lambda: len(conn.heartbeats) >= 3 or None)
            last = conn.heartbeats[-1]
            return last.seq_ack, last.server_seq


@pytest.mark.xfail(
    strict=True, raises=AssertionError, reason="nextcord 3.2.0 bug 4: seq_ack ignores the top-level JSON seq"
)
async def test_bug4_heartbeat_acks_the_last_json_seq() -> None:
    seq_ack, server_seq = await _last_heartbeat_lag(nextcord.VoiceClient)
    assert server_seq >= 2
    assert seq_ack == server_seq, (seq_ack, server_seq)


async def test_bug4_control_fixed_socket_acks_json_seq() -> None:
    seq_ack, server_seq = await _last_heartbeat_lag(FixedVoiceClient)
    assert server_seq >= 2
    assert seq_ack == server_seq, (seq_ack, server_seq)
