"""Smoke: an unmodified nextcord client logs in, registers and answers a slash command."""

from __future__ import annotations

import nextcord

from localdiscord.fake_discord import FakeDiscord
from tests.localdiscord.clients.nextcord_bot import client_options, running
from tests.localdiscord.fixtures import NEXTCORD_WARNINGS

pytestmark = NEXTCORD_WARNINGS


async def test_login_and_slash_command() -> None:
    async with FakeDiscord() as fake:
        guild = await fake.create_guild("g")
        text = await fake.create_text_channel(guild, "general")
        alice = await fake.create_member(guild, "alice")
        client = nextcord.Client(**client_options(fake))  # type: ignore[arg-type]

        @client.slash_command(name="ping", description="Ping!")  # type: ignore[untyped-decorator]
        async def ping(interaction: nextcord.Interaction[nextcord.Client]) -> None:
            await interaction.response.send_message("pong", ephemeral=True)

        async with running(client, fake):
            assert client.user is not None and client.user.id == fake.bot_user_id
            handle = await fake.invoke("ping", member=alice, channel=text)
            reply = await handle.reply()
            assert reply.content == "pong"
            assert reply.ephemeral
