"""The adapter against the fake Discord with real DAVE v1: connect, play a 440 Hz tone, survive faults.

The test plays the gateway (``GatewayRole``) and the audio pacer (``TestPacer``); the fake's simulated members
decrypt the bot's DAVE frames and decode them. The four nextcord 3.2.0 bug scenarios mirror the strict-xfail tests
in ``tests/localdiscord/clients/test_nextcord_bugs.py``, and pass here because the adapter fixes them.
"""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from localdiscord.config import FakeConfig
from localdiscord.voice.capture import HeardAudio
from localdiscord.waiting import wait_until
from tests.voice.fixtures import VoiceRig
from tests.voice.tone import ToneSource
from worker.audio.pacer import Pacer
from worker.voice.connection import VoiceStatus


@pytest.fixture
def fake_discord_config(request: pytest.FixtureRequest) -> FakeConfig:
    """Parametrize indirectly with a FakeConfig to change the fake's behaviour for one test."""
    config: FakeConfig = getattr(request, "param", FakeConfig())
    return config


def with_fake(**settings: object) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("fake_discord_config", [FakeConfig(**settings)], indirect=True, ids=[""])  # type: ignore[arg-type]


def assert_tone(heard: HeardAudio, since: float) -> None:
    assert abs(heard.dominant_frequency(since) - 440) <= 5, heard.dominant_frequency(since)
    assert heard.decrypt_failures == 0


async def test_connect_and_a_listener_hears_440_hz_through_dave(
    voice_rig: VoiceRig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, "nextcord")
    rig = voice_rig
    await rig.connect_with_listener()
    pacer = rig.pacer()
    since = time.monotonic()
    pacer.start()
    rig.connection.send_opus(b"OpusHead\x01\x02\x38\x01\x80\xbb\x00\x00\x00\x00\x00")
    heard = await rig.hear(1.0, since)
    await pacer.stop()
    await wait_until(lambda: rig.fake.stream_stats(rig.channel).silence_frames == 5, 2.0, "five silence frames")
    assert_tone(heard, since)
    assert heard.decrypted >= 45
    stats = rig.fake.stream_stats(rig.channel)
    assert stats.dave_frames >= 45
    # The speaking op travels over TLS and the frames over UDP: the fake may read one frame before the op.
    assert stats.before_speaking <= 1
    assert stats.transport_failures == 0
    assert stats.ogg_header_frames == 0
    assert rig.connection.stats.headers_dropped == 1
    assert rig.gateway.requests == [rig.channel.id]
    token = rig.gateway.fed[-1].token
    assert token
    assert "Sending voice websocket frame" in caplog.text
    assert token not in caplog.text


@with_fake(transition_timeout=0.5)
async def test_bug1_sole_member_reset_then_a_new_member_decrypts(voice_rig: VoiceRig) -> None:
    rig = voice_rig
    await rig.connect_with_listener()
    call = rig.fake.call(rig.channel)
    assert call is not None
    await rig.fake.leave_voice(rig.alice)
    assert call.stats.sole_member_resets == 1
    await rig.fake.join_voice(rig.bob, rig.channel)
    await rig.dave_ready(transitions=2)
    pacer = rig.pacer()
    since = time.monotonic()
    pacer.start()
    heard = await rig.hear(1.0, since, listener=rig.bob)
    await pacer.stop()
    assert_tone(heard, since)
    assert heard.decrypted >= 45


@with_fake(voice_heartbeat_interval_ms=200)
async def test_bug2_4015_resumes_on_a_new_socket_and_audio_continues(voice_rig: VoiceRig) -> None:
    rig = voice_rig
    fake_session = await rig.connect_with_listener()
    pacer = rig.pacer()
    pacer.start()
    await rig.hear(0.5, time.monotonic())
    await rig.fake.close_voice(rig.guild, 4015)
    closed = time.monotonic()
    await wait_until(lambda: fake_session.resumes == 1 and rig.connection.is_connected(), 5.0, "a resumed session")
    heartbeats = len(fake_session.heartbeats)
    heard = await rig.hear(1.0, closed)
    await pacer.stop()
    assert_tone(heard, closed)
    assert rig.fake.voice_connection(rig.guild) is fake_session  # resumed, not identified again
    assert rig.connection.stats.resumes == 1
    assert rig.connection.stats.ws_connections == 2
    assert len(fake_session.heartbeats) > heartbeats  # the keepalive runs on the new socket: no zombie
    assert rig.gateway.requests == [rig.channel.id]


@with_fake(resumed_d_null=True, voice_heartbeat_interval_ms=200)
async def test_bug3_resumed_with_null_d_keeps_the_session_alive(voice_rig: VoiceRig) -> None:
    rig = voice_rig
    fake_session = await rig.connect_with_listener()
    await rig.fake.close_voice(rig.guild, 4015)
    await wait_until(lambda: fake_session.resumes == 1 and rig.connection.is_connected(), 5.0, "a resumed session")
    acks = len(fake_session.heartbeats)
    await wait_until(lambda: len(fake_session.heartbeats) >= acks + 3, 3.0, "heartbeats after RESUMED")
    assert rig.connection.status() is VoiceStatus.CONNECTED
    assert all(event.status is not VoiceStatus.FAILED for event in rig.events)


@with_fake(strict_seq_ack=True, voice_heartbeat_interval_ms=200)
async def test_bug4_heartbeats_and_resume_ack_the_servers_last_seq(voice_rig: VoiceRig) -> None:
    rig = voice_rig
    fake_session = await rig.connect_with_listener()
    await wait_until(lambda: len(fake_session.heartbeats) >= 8, 5.0, "heartbeats")
    last = fake_session.heartbeats[-1]
    assert last.server_seq >= 4
    assert last.seq_ack == last.server_seq
    seq_before = fake_session.seq
    await rig.fake.close_voice(rig.guild, 4015)
    await wait_until(lambda: fake_session.resumes == 1, 5.0, "a resume")
    resumes = [r for r in rig.fake.core.voice_log if r.direction == "recv" and r.op == 7]
    assert isinstance(resumes[-1].d, dict)
    assert resumes[-1].d["seq_ack"] == seq_before
    await asyncio.sleep(1.5)  # strict mode closes with 4020 when an ack lags more than a second
    assert rig.connection.is_connected()
    assert rig.fake.core.voice_closes[-1].code == 4015


async def test_4014_then_new_credentials_reconnects(voice_rig: VoiceRig) -> None:
    rig = voice_rig
    first = await rig.connect_with_listener()
    pacer = rig.pacer()
    pacer.start()
    await rig.fake.close_voice(rig.guild, 4014)
    await wait_until(lambda: rig.connection.status() is VoiceStatus.RECONNECTING, 2.0, "reconnecting")
    moved = time.monotonic()
    await rig.fake.move_voice_endpoint(rig.guild, server=0)  # Discord's VOICE_SERVER_UPDATE: a new token
    await rig.fake.wait_for_voice_connection(rig.guild, after=first)
    heard = await rig.hear(1.0, moved)
    await pacer.stop()
    assert_tone(heard, moved)
    assert rig.gateway.requests == [rig.channel.id]
    assert rig.connection.stats.ws_connections == 2


async def test_4006_asks_for_a_fresh_voice_state_and_reconnects(voice_rig: VoiceRig) -> None:
    rig = voice_rig
    first = await rig.connect_with_listener()
    pacer = rig.pacer()
    pacer.start()
    closed = time.monotonic()
    await rig.fake.close_voice(rig.guild, 4006)
    await rig.fake.wait_for_voice_connection(rig.guild, after=first)
    heard = await rig.hear(1.0, closed)
    await pacer.stop()
    assert_tone(heard, closed)
    assert rig.gateway.requests == [rig.channel.id, rig.channel.id]
    assert rig.gateway.fed[-1].token != rig.gateway.fed[0].token
    assert rig.connection.is_connected()


async def test_4017_is_a_loud_failure_without_a_reconnect_loop(
    voice_rig: VoiceRig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, "worker.voice")
    rig = voice_rig
    await rig.connect_with_listener()
    await rig.fake.close_voice(rig.guild, 4017)
    await wait_until(lambda: rig.connection.status() is VoiceStatus.FAILED, 2.0, "a failure")
    await asyncio.sleep(1.0)
    assert rig.connection.status() is VoiceStatus.FAILED
    assert rig.events[-1].close_code == 4017
    assert any("4017" in r.getMessage() and "DAVE" in r.getMessage() for r in caplog.records)
    identifies = [r for r in rig.fake.core.voice_log if r.direction == "recv" and r.op == 0]
    assert len(identifies) == 1
    assert rig.gateway.requests == [rig.channel.id]
    rig.connection.send_opus(rig.frames[0])
    assert rig.connection.stats.frames_dropped == 1


async def test_endpoint_move_reconnects_to_the_new_server_and_audio_continues(voice_rig: VoiceRig) -> None:
    rig = voice_rig
    await rig.connect_with_listener()
    pacer = rig.pacer()
    pacer.start()
    await rig.hear(0.3, time.monotonic())
    moved = time.monotonic()
    await rig.fake.move_voice_endpoint(rig.guild)
    await rig.fake.wait_for_voice_connection(rig.guild, server=1)
    heard = await rig.hear(1.0, moved)
    await pacer.stop()
    assert_tone(heard, moved)
    assert rig.gateway.requests == [rig.channel.id]
    assert rig.connection.stats.ws_connections == 2
    assert rig.fake.stream_stats(rig.channel).transport_failures == 0


async def test_udp_loss_of_5_percent_leaves_the_tone_audible(voice_rig: VoiceRig) -> None:
    rig = voice_rig
    await rig.connect_with_listener()
    rig.fake.core.faults.set_udp(loss=0.05, seed=7)
    pacer = rig.pacer()
    since = time.monotonic()
    pacer.start()
    heard = await rig.hear(1.5, since)
    await pacer.stop()
    assert_tone(heard, since)
    stats = rig.fake.stream_stats(rig.channel)
    assert stats.missing > 0
    assert stats.missing < 0.15 * pacer.sent
    assert rig.connection.is_connected()


async def test_the_workers_pacer_drives_the_connection(voice_rig: VoiceRig) -> None:
    rig = voice_rig
    await rig.connect_with_listener()
    since = time.monotonic()
    async with Pacer() as pacer:
        stream = pacer.attach(rig.guild.id, rig.connection)
        stream.play(ToneSource(rig.frames * 2))
        heard = await rig.hear(1.5, since)
        await wait_until(lambda: rig.fake.stream_stats(rig.channel).silence_frames >= 5, 3.0, "the trailing silence")
        await asyncio.sleep(0.2)
    assert_tone(heard, since)
    stats = rig.fake.stream_stats(rig.channel)
    assert stats.silence_frames == 5
    # The pacer sends its first frame right after set_speaking(True); op 5 is written first, but in one process
    # the fake may read the UDP datagram before the TLS frame, so at most that first frame counts as early.
    assert stats.before_speaking <= 1
    assert rig.connection.stats.frames_sent == 2 * len(rig.frames) + 5
    assert rig.connection.stats.silence_frames == 0


async def test_a_leave_made_elsewhere_closes_the_connection(voice_rig: VoiceRig) -> None:
    rig = voice_rig
    fake_session = await rig.connect_with_listener()
    await rig.gateway.send_voice_state(None)  # e.g. a moderator disconnected the bot: VOICE_STATE_UPDATE, no channel
    await wait_until(lambda: rig.connection.status() is VoiceStatus.CLOSED, 3.0, "closed")
    assert rig.connection.channel_id is None
    assert rig.events[-1].detail == "disconnected from the voice channel"
    await wait_until(lambda: fake_session.ws.closed, 3.0, "the voice websocket closed")
    await asyncio.sleep(0.3)
    assert rig.connection.stats.voice_state_requests == 1  # no rejoin on its own
