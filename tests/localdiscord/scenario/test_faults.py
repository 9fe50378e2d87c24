"""Fault injection against an unmodified nextcord 3.2.0 client: UDP loss/delay, voice closes, endpoint
moves, gateway RECONNECT / INVALID_SESSION, slow REST, no DAVE."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import nextcord
import nextcord.voice_client
import pytest

from localdiscord.config import FakeConfig
from localdiscord.fake_discord import FakeDiscord
from localdiscord.world.models import Channel, Guild, Member
from tests.localdiscord.clients.nextcord_bot import TonePCMAudio, client_options, make_tone, running, wait_for
from tests.localdiscord.fixtures import NEXTCORD_WARNINGS

pytestmark = NEXTCORD_WARNINGS


@pytest.fixture(scope="module")
def tone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tone(tmp_path_factory.mktemp("tone") / "tone440.wav", 440.0, 1.5)


@dataclass
class Scene:
    fake: FakeDiscord
    client: nextcord.Client
    guild: Guild
    text: Channel
    music: Channel
    alice: Member

    async def connect(self, **kwargs: object) -> nextcord.VoiceClient:
        channel = self.client.get_channel(self.music.id)
        assert isinstance(channel, nextcord.VoiceChannel)
        voice: nextcord.VoiceClient = await channel.connect(**kwargs)  # type: ignore[arg-type]
        return voice

    async def play(self, voice: nextcord.VoiceClient, tone: Path) -> tuple[float, float]:
        """Play the tone to the end; returns the (start, end) window on the fake's clock."""
        start = self.fake.clock()
        voice.play(TonePCMAudio(str(tone)))
        await wait_for(lambda: not voice.is_playing() or None)
        await asyncio.sleep(0.1)
        return start, self.fake.clock()


@pytest.fixture
async def scene(request: pytest.FixtureRequest) -> AsyncIterator[Scene]:
    config: FakeConfig = getattr(request, "param", FakeConfig(dave_version=0))
    async with FakeDiscord(config) as fake:
        guild = await fake.create_guild("faults")
        text = await fake.create_text_channel(guild, "general")
        music = await fake.create_voice_channel(guild, "music")
        alice = await fake.create_member(guild, "alice")
        await fake.join_voice(alice, music)
        client = nextcord.Client(**client_options(fake))  # type: ignore[arg-type]
        async with running(client, fake):
            yield Scene(fake, client, guild, text, music, alice)


async def test_udp_loss_shows_up_as_gaps(scene: Scene, tone: Path) -> None:
    scene.fake.faults.set_udp(loss=0.2, seed=7)
    voice = await scene.connect()
    await scene.play(voice, tone)
    stats = scene.fake.stream_stats(scene.music)
    dropped = scene.fake.voice_servers[0].udp.dropped
    assert 5 <= dropped <= 30, dropped
    assert 0 < stats.missing <= dropped and stats.gaps > 0
    assert stats.frames + dropped == 75
    assert abs(scene.fake.heard(scene.music).dominant_frequency() - 440.0) <= 5.0


async def test_udp_delay_shows_up_as_jitter(scene: Scene, tone: Path) -> None:
    voice = await scene.connect()
    clean = scene.fake.stream_stats(scene.music, None, *await scene.play(voice, tone))
    scene.fake.faults.set_udp(delay=0.005, delay_jitter=0.06, seed=3)
    jittery = scene.fake.stream_stats(scene.music, None, *await scene.play(voice, tone))
    assert 18.0 <= clean.interval_p50_ms <= 22.0 and clean.jitter_ms < 4.0, clean
    assert jittery.jitter_ms > clean.jitter_ms + 8.0, (clean, jittery)
    assert jittery.interval_p99_ms > 50.0 and jittery.reordered > 0, jittery


async def test_4006_makes_nextcord_leave_and_rejoin(scene: Scene) -> None:
    await scene.connect()
    first = await scene.fake.wait_for_voice_connection(scene.guild)
    mark = len(scene.fake.core.gateway_log)
    await scene.fake.close_voice(scene.guild, 4006)
    second = await scene.fake.wait_for_voice_connection(scene.guild, after=first, timeout=15)
    joins = [r.d["channel_id"] for r in scene.fake.core.gateway_log[mark:] if r.direction == "recv" and r.op == 4]
    assert joins == [None, scene.music.id]
    assert second.grant.token != first.grant.token


async def test_4014_then_endpoint_move_reconnects_to_the_new_server(scene: Scene, tone: Path) -> None:
    voice = await scene.connect()
    first = await scene.fake.wait_for_voice_connection(scene.guild)
    await scene.fake.close_voice(scene.guild, 4014)
    await asyncio.sleep(0.3)
    grant = await scene.fake.move_voice_endpoint(scene.guild)
    assert grant is not None and grant.server == 1
    updates = [r.d for r in scene.fake.core.gateway_log if r.t == "VOICE_SERVER_UPDATE"]
    assert updates[-1]["endpoint"] == scene.fake.voice_endpoints[1] != updates[0]["endpoint"]
    second = await scene.fake.wait_for_voice_connection(scene.guild, after=first, server=1)
    assert second.grant.token == grant.token
    start, _end = await scene.play(voice, tone)
    assert scene.fake.heard(scene.music).seconds(start) >= 1.2
    assert scene.fake.call(scene.music, server=1) is not None


async def test_endpoint_move_while_connected_moves_the_client(scene: Scene) -> None:
    await scene.connect()
    first = await scene.fake.wait_for_voice_connection(scene.guild)
    await scene.fake.move_voice_endpoint(scene.guild)
    second = await scene.fake.wait_for_voice_connection(scene.guild, after=first, server=1, timeout=15)
    assert second.server == 1 and first.ended


async def test_gateway_reconnect_leads_to_resume(scene: Scene) -> None:
    session = await scene.fake.gateway.reconnect()
    await wait_for(lambda: any(r.op == 6 and r.direction == "recv" for r in scene.fake.core.gateway_log) or None)
    resumes = [r.d for r in scene.fake.core.gateway_log if r.op == 6 and r.direction == "recv"]
    assert resumes[0]["session_id"] == session.id
    assert sum(1 for r in scene.fake.core.gateway_log if r.op == 2) == 1
    await wait_for(lambda: (session.conn is not None and any(f["t"] == "RESUMED" for f in session.buffer)) or None)
    channel = await scene.fake.create_text_channel(scene.guild, "after-resume")
    await wait_for(lambda: scene.client.get_channel(channel.id))


@pytest.mark.timeout(30)
async def test_invalid_session_false_leads_to_reidentify(scene: Scene) -> None:
    old = await scene.fake.gateway.invalid_session(False)
    started = time.monotonic()
    new = await scene.fake.gateway.wait_for_session(timeout=15, newer_than=old)
    waited = time.monotonic() - started
    assert new.id != old.id and old.dead
    identifies = [r for r in scene.fake.core.gateway_log if r.op == 2 and r.direction == "recv"]
    assert len(identifies) == 2
    assert waited >= 4.5  # nextcord's before_identify_hook sleeps 5 s before a non-initial IDENTIFY
    assert sum(1 for r in scene.fake.core.requests if r.path == "/gateway") == 2


async def test_invalid_session_true_leads_to_resume(scene: Scene) -> None:
    session = await scene.fake.gateway.invalid_session(True)
    await wait_for(lambda: any(r.op == 6 and r.direction == "recv" for r in scene.fake.core.gateway_log) or None)
    assert not session.dead
    assert sum(1 for r in scene.fake.core.gateway_log if r.op == 2) == 1


async def test_slow_rest_is_slower(scene: Scene) -> None:
    channel = scene.client.get_channel(scene.text.id)
    assert isinstance(channel, nextcord.TextChannel)
    started = time.monotonic()
    await channel.send("fast")
    fast = time.monotonic() - started
    scene.fake.faults.slow_rest(r"^/channels/\d+/messages$", 0.5, method="POST")
    started = time.monotonic()
    await channel.send("slow")
    slow = time.monotonic() - started
    assert fast < 0.3 and slow >= 0.5, (fast, slow)
    posts = [r for r in scene.fake.core.requests if r.method == "POST" and r.path.endswith("/messages")]
    assert [round(r.duration, 1) >= 0.5 for r in posts] == [False, True]
    assert [m.content for m in scene.fake.messages(scene.text)] == ["fast", "slow"]


async def test_client_without_dave_gets_4017(scene: Scene, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nextcord.voice_client, "has_dave", False)  # as if dave-py were not installed
    with pytest.raises(nextcord.ConnectionClosed) as caught:
        await scene.connect(reconnect=False, timeout=5)
    assert caught.value.code == 4017
    assert [c.code for c in scene.fake.core.voice_closes] == [4017]
