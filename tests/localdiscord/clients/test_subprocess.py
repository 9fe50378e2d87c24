"""The scenario API drives a bot running in another process, pointed at the fake by environment only."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from localdiscord.fake_discord import FakeDiscord
from tests.localdiscord.clients.nextcord_bot import make_tone


async def test_bot_in_a_subprocess_is_heard(tmp_path: Path) -> None:
    tone = make_tone(tmp_path / "tone.wav", 440.0, 1.5)
    async with FakeDiscord() as fake:
        guild = await fake.create_guild("e2e")
        text = await fake.create_text_channel(guild, "general")
        music = await fake.create_voice_channel(guild, "music")
        alice = await fake.create_member(guild, "alice")
        await fake.join_voice(alice, music)
        bot = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.localdiscord.clients.demo_bot", str(tone), env=fake.environ_with_fake()
        )
        try:
            await fake.gateway.wait_for_session(timeout=20)
            await fake.interactions.wait_until_command("play", timeout=10)
            handle = await fake.invoke("play", member=alice, channel=text)
            assert (await handle.reply(timeout=10)).content == "joining"
            heard = await fake.wait_for_audio(music, seconds=1.2, timeout=15, listener=alice)
            assert abs(heard.dominant_frequency() - 440.0) <= 5.0
            assert heard.decrypted > 0 and heard.decrypt_failures == 0
        finally:
            bot.terminate()
            await bot.wait()
