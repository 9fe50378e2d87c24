"""Acceptance: an unmodified nextcord 3.2.0 bot against the fake, end to end.

It logs in, registers a slash command, answers it, joins voice with its own ``VoiceClient`` and plays a
440 Hz file; the fake's simulated listener hears 440 Hz, with real DAVE v1 and with transport-only v0.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import nextcord
import pytest

from localdiscord.config import FakeConfig
from localdiscord.fake_discord import FakeDiscord
from tests.localdiscord.clients.nextcord_bot import TonePCMAudio, client_options, make_tone, running, wait_for
from tests.localdiscord.fixtures import NEXTCORD_WARNINGS

pytestmark = NEXTCORD_WARNINGS


@pytest.fixture(scope="module")
def tone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tone(tmp_path_factory.mktemp("tone") / "tone440.wav", 440.0, 2.0)


def music_bot(fake: FakeDiscord, tone: Path) -> nextcord.Client:
    """A few dozen lines of ordinary nextcord: ``/play`` joins the caller's channel and plays a file."""
    client = nextcord.Client(**client_options(fake))  # type: ignore[arg-type]

    @client.slash_command(name="play", description="Play the test tone")  # type: ignore[untyped-decorator]
    async def play(interaction: nextcord.Interaction[nextcord.Client]) -> None:
        member = interaction.user
        assert isinstance(member, nextcord.Member) and member.voice and member.voice.channel
        await interaction.response.defer()
        channel = member.voice.channel
        assert isinstance(channel, nextcord.VoiceChannel)
        voice: nextcord.VoiceClient = await channel.connect()
        voice.play(TonePCMAudio(str(tone)))
        await interaction.followup.send(f"Playing in {channel.name}")

    return client


@pytest.mark.parametrize("dave_version", [1, 0], ids=["dave-v1", "dave-v0"])
async def test_slash_command_joins_voice_and_plays_440hz(tone: Path, dave_version: int) -> None:
    async with FakeDiscord(FakeConfig(dave_version=dave_version)) as fake:
        guild = await fake.create_guild("acceptance")
        text = await fake.create_text_channel(guild, "general")
        music = await fake.create_voice_channel(guild, "music")
        alice = await fake.create_member(guild, "alice")
        await fake.join_voice(alice, music)
        client = music_bot(fake, tone)
        async with running(client, fake):
            registered = [r for r in fake.core.requests if r.method == "POST" and r.path.endswith("/commands")]
            assert [r.json["name"] for r in registered] == ["play"]

            handle = await fake.invoke("play", member=alice, channel=text)
            assert (await handle.response()).type == 5
            followup = await handle.followup(timeout=10)
            assert followup.content == "Playing in music"

            heard = await fake.wait_for_audio(music, seconds=1.8, timeout=15, listener=alice)
            voice = client.voice_clients[0]
            assert isinstance(voice, nextcord.VoiceClient)
            await wait_for(lambda: not voice.is_playing() or None)
            await asyncio.sleep(0.1)

            frequency = heard.dominant_frequency()
            stats = fake.stream_stats(music)
            assert abs(frequency - 440.0) <= 5.0, frequency
            assert heard.rms_dbfs() > -30.0
            assert stats.missing == 0 and stats.transport_failures == 0
            assert 18.0 <= stats.interval_p50_ms <= 22.0
            if dave_version == 1:
                call = fake.call(music)
                assert call is not None and call.stats.transitions_executed
                assert heard.decrypted >= 90 and heard.decrypt_failures == 0
                # once the group exists the bot must not send plain Opus
                assert heard.first_decrypted_at is not None
                assert heard.passthrough_after(heard.first_decrypted_at) == 0
                assert stats.dave_frames == heard.decrypted
            else:
                assert heard.decrypted == 0 and heard.passthrough >= 90
                assert stats.dave_frames == 0
