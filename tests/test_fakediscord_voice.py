"""An unmodified nextcord 3.2.0 VoiceClient plays a 440 Hz tone; the fake's listener hears it."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import nextcord
import pytest

from tests.fakediscord.config import FakeConfig
from tests.fakediscord.fixtures import NEXTCORD_WARNINGS
from tests.fakediscord.nextcord_bot import TonePCMAudio, client_options, running, wait_for
from tests.fakediscord.server import FakeDiscord

pytestmark = [NEXTCORD_WARNINGS]


@pytest.fixture(scope="module")
def tone_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tone") / "tone440.wav"
    subprocess.run(
        [
            "ffmpeg",
            "-nostdin",
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=f=440:d=2",
            "-ar",
            "48000",
            "-ac",
            "2",
            str(path),
        ],
        check=True,
    )
    return path


@pytest.mark.parametrize("dave_version", [1, 0])
async def test_plays_440hz(tone_file: Path, dave_version: int) -> None:
    async with FakeDiscord(FakeConfig(dave_version=dave_version)) as fake:
        guild = await fake.create_guild("g")
        voice = await fake.create_voice_channel(guild, "music")
        alice = await fake.create_member(guild, "alice")
        await fake.join_voice(alice, voice)
        client = nextcord.Client(**client_options(fake))  # type: ignore[arg-type]
        async with running(client, fake):
            channel = client.get_channel(voice.id)
            assert isinstance(channel, nextcord.VoiceChannel)
            vc: nextcord.VoiceClient = await channel.connect()
            await asyncio.sleep(0.5)
            start = fake.clock()
            vc.play(TonePCMAudio(str(tone_file)))
            heard = await fake.wait_for_audio(voice, seconds=1.5, timeout=10)
            await wait_for(lambda: not vc.is_playing() or None)
            freq = heard.dominant_frequency(start)
            stats = fake.stream_stats(voice)
            print(freq, heard.decrypted, heard.passthrough, heard.decrypt_failures, stats)
            assert abs(freq - 440) < 5
