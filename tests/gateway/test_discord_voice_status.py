"""The Discord edge of the voice status: nextcord's HTTP client against the fake's `PUT .../voice-status`."""

from __future__ import annotations

import logging

import nextcord
import pytest

from gateway.discord.voice_status import DiscordVoiceStatus
from gateway.events.voice_status import StatusOutcome
from localdiscord.fake_discord import FakeDiscord
from localdiscord.world.permissions import ADMINISTRATOR
from tests.localdiscord.clients.nextcord_bot import client_options, running
from tests.localdiscord.fixtures import NEXTCORD_WARNINGS

pytestmark = NEXTCORD_WARNINGS


async def test_set_refused_and_failed(fake_discord: FakeDiscord, caplog: pytest.LogCaptureFixture) -> None:
    guild = await fake_discord.create_guild("g")
    music = await fake_discord.create_voice_channel(guild, "music")
    stock = nextcord.Client(**client_options(fake_discord))  # type: ignore[arg-type]
    async with running(stock, fake_discord) as client:
        edge = DiscordVoiceStatus(client)
        assert await edge.set_status(music.id, "♪ Song") is StatusOutcome.SET
        assert music.status == "♪ Song"
        with caplog.at_level(logging.WARNING, logger="gateway.discord.voice_status"):
            assert await edge.set_status(music.id, "x" * 501) is StatusOutcome.FAILED
            assert await edge.set_status(1, "x") is StatusOutcome.FAILED
        ours = [r for r in caplog.records if r.name == "gateway.discord.voice_status"]
        assert [r.levelno for r in ours] == [logging.WARNING] * 2
        assert "HTTP 400 (code 50035): Invalid Form Body In status: Must be 500" in ours[0].getMessage()
        assert "HTTP 404 (code 10003)" in ours[1].getMessage()
        everyone = guild.roles[guild.id]
        await fake_discord.world.set_role_permissions(guild, everyone, everyone.permissions & ~ADMINISTRATOR)
        assert await edge.set_status(music.id, "") is StatusOutcome.REFUSED
        assert music.status == "♪ Song"
