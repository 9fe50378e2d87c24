"""The adapter's websocket fixes and start-up checks, message by message (no network).

Each fix test also shows the stock nextcord 3.2.0 behaviour it replaces, so a nextcord bump that fixes a bug
upstream shows up here.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any, cast

import aiohttp
import pytest
from nextcord import opus
from nextcord.gateway import DiscordVoiceWebSocket
from nextcord.voice_client import VoiceClient

from shared.errors import VoiceError
from worker.voice import nextcord_adapter
from worker.voice.connection import VoiceConnectionFactory, VoiceStatus
from worker.voice.nextcord_adapter import (
    NextcordVoiceFactory,
    WorkerVoiceWebSocket,
    check_voice_support,
    voice_ssl_context,
)


@dataclass
class RecordingE2EE:
    calls: list[tuple[str, int, int]] = field(default_factory=list)
    _encryptor: object | None = object()

    async def initialise(self, version: int) -> None:
        self.calls.append(("initialise", 1, version))

    async def prepare_epoch(self, epoch: int, version: int) -> None:
        self.calls.append(("prepare_epoch", epoch, version))

    async def prepare_transition(self, transition_id: int, version: int) -> None:
        self.calls.append(("prepare_transition", transition_id, version))


@dataclass
class FakeClient:
    e2ee_state: RecordingE2EE = field(default_factory=RecordingE2EE)


def make_ws[W: DiscordVoiceWebSocket](cls: type[W], client: FakeClient) -> W:
    ws = cls(cast(Any, None), asyncio.get_running_loop())
    ws._connection = cast(VoiceClient, client)
    return ws


async def test_bug3_resumed_with_null_d_does_not_crash() -> None:
    message: dict[str, Any] = {"op": 9, "d": None, "seq": 4}
    with pytest.raises(AttributeError):
        await make_ws(DiscordVoiceWebSocket, FakeClient()).received_message(dict(message))
    ws = make_ws(WorkerVoiceWebSocket, FakeClient())
    await ws.received_message(dict(message))
    assert ws.resumed
    assert ws.seq_ack == 4


async def test_bug4_seq_ack_follows_the_top_level_seq() -> None:
    message: dict[str, Any] = {"op": 5, "d": {"user_id": "7", "ssrc": 3, "speaking": 1}, "seq": 6}
    stock = make_ws(DiscordVoiceWebSocket, FakeClient())
    await stock.received_message(dict(message))
    assert stock.seq_ack == -1
    ws = make_ws(WorkerVoiceWebSocket, FakeClient())
    await ws.received_message(dict(message))
    assert ws.seq_ack == 6
    await ws.received_message({"op": 6, "d": {"t": 1}})
    assert ws.seq_ack == 6


async def test_bug4_a_seq_inside_d_does_not_override_the_top_level_one() -> None:
    ws = make_ws(WorkerVoiceWebSocket, FakeClient())
    await ws.received_message({"op": 5, "d": {"user_id": "7", "ssrc": 3, "speaking": 1, "seq": 99}, "seq": 8})
    assert ws.seq_ack == 8


async def test_bug1_prepare_epoch_is_dispatched() -> None:
    message: dict[str, Any] = {"op": 24, "d": {"epoch": 1, "protocol_version": 1}, "seq": 3}
    stock_client = FakeClient()
    await make_ws(DiscordVoiceWebSocket, stock_client).received_message(dict(message))
    assert stock_client.e2ee_state.calls == []
    client = FakeClient()
    await make_ws(WorkerVoiceWebSocket, client).received_message(dict(message))
    assert client.e2ee_state.calls == [("prepare_epoch", 1, 1)]


async def test_bug1_an_upgrade_from_transport_only_builds_the_encryptor() -> None:
    client = FakeClient(RecordingE2EE(_encryptor=None))
    await make_ws(WorkerVoiceWebSocket, client).received_message({"op": 24, "d": {"epoch": 1, "protocol_version": 1}})
    assert client.e2ee_state.calls == [("initialise", 1, 1)]


async def test_prepare_epoch_of_a_version_change_is_passed_on() -> None:
    client = FakeClient()
    await make_ws(WorkerVoiceWebSocket, client).received_message({"op": 24, "d": {"epoch": 5, "protocol_version": 1}})
    assert client.e2ee_state.calls == [("prepare_epoch", 5, 1)]


def test_start_up_checks_pass_here() -> None:
    check_voice_support("libopus.so.0")
    assert opus.is_loaded()


def test_start_up_checks_refuse_a_worker_without_dave(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nextcord_adapter, "has_dave", False)
    with pytest.raises(VoiceError, match="4017"):
        check_voice_support("libopus.so.0")


def test_start_up_checks_refuse_a_missing_libopus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(opus, "_lib", None)
    with pytest.raises(VoiceError, match="libopus0"):
        check_voice_support("/nonexistent/libopus.so.0")


def test_the_ssl_context_verifies_servers() -> None:
    context = voice_ssl_context(None)
    assert context.verify_mode is ssl.CERT_REQUIRED
    assert context.check_hostname


async def _nowhere(_channel_id: int | None, _request_id: str) -> None:
    return None


async def test_the_factory_builds_a_closed_connection_that_drops_frames() -> None:
    async with aiohttp.ClientSession() as http:
        factory: VoiceConnectionFactory = NextcordVoiceFactory(http, voice_ssl_context(None))
        connection = factory(guild_id=1, request_voice_state=_nowhere)
        assert connection.status() is VoiceStatus.CLOSED
        assert not connection.is_connected()
        assert not await connection.wait_connected(0.1)
        connection.send_opus(b"\xfc\xff\xfe")
        assert connection.stats.frames_dropped == 1
        await connection.disconnect(leave=False)


def test_the_voice_interface_does_not_load_nextcord() -> None:
    probe = "import sys, worker.voice.connection; assert 'nextcord' not in sys.modules and 'dave' not in sys.modules"
    subprocess.run([sys.executable, "-c", probe], check=True, timeout=30)


def test_voice_secrets_never_reach_the_log(caplog: pytest.LogCaptureFixture) -> None:
    check_voice_support("libopus.so.0")
    caplog.set_level(logging.DEBUG, "nextcord.gateway")
    log = logging.getLogger("nextcord.gateway")
    log.debug("Sending voice websocket frame: %s.", {"op": 0, "d": {"token": "very-secret", "session_id": "s"}})
    log.debug("Voice websocket frame received: %s", {"op": 4, "d": {"secret_key": [1, 2, 3], "mode": "m"}, "seq": 3})
    log.debug("Voice websocket frame received: %s", {"op": 9, "d": None})
    text = caplog.text
    assert "very-secret" not in text
    assert "[1, 2, 3]" not in text
    assert "session_id" in text
    assert "<redacted>" in text
