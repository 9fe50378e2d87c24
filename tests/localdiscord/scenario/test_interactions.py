"""Slash commands (options, subcommands, autocomplete), deferrals and components through stock nextcord."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import nextcord
import pytest

from localdiscord.fake_discord import FakeDiscord
from localdiscord.world.models import Channel, Member
from tests.localdiscord.clients.nextcord_bot import client_options, running
from tests.localdiscord.fixtures import NEXTCORD_WARNINGS

pytestmark = NEXTCORD_WARNINGS

Inter = nextcord.Interaction[nextcord.Client]
WHO = nextcord.SlashOption(description="who")


class Panel(nextcord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @nextcord.ui.button(label="Next", custom_id="panel:next")
    async def next_page(self, button: nextcord.ui.Button[Panel], interaction: Inter) -> None:
        await interaction.response.edit_message(content="page 2")


def build_bot(fake: FakeDiscord) -> nextcord.Client:
    client = nextcord.Client(**client_options(fake))  # type: ignore[arg-type]

    @client.slash_command(name="queue", description="Queue commands")  # type: ignore[untyped-decorator]
    async def queue(interaction: Inter) -> None:
        pass

    @queue.subcommand(name="add", description="Add a track")  # type: ignore[untyped-decorator]
    async def queue_add(
        interaction: Inter,
        query: str = nextcord.SlashOption(description="What to add"),
        count: int = nextcord.SlashOption(description="How many", required=False, default=1),
    ) -> None:
        await interaction.response.send_message(f"added {query} x{count}")

    @queue_add.on_autocomplete("query")  # type: ignore[untyped-decorator]
    async def query_choices(interaction: Inter, query: str) -> None:
        await interaction.response.send_autocomplete([c for c in ("alpha", "alps", "beta") if c.startswith(query)])

    @client.slash_command(name="greet", description="Greet someone")  # type: ignore[untyped-decorator]
    async def greet(interaction: Inter, user: nextcord.Member = WHO) -> None:
        await interaction.response.defer(ephemeral=True)
        await interaction.edit_original_message(content=f"hello {user.name}")
        await interaction.followup.send("and welcome", ephemeral=True)

    @client.slash_command(name="panel", description="A panel with a button")  # type: ignore[untyped-decorator]
    async def panel(interaction: Inter) -> None:
        await interaction.response.send_message("page 1", view=Panel())

    return client


@dataclass
class Scene:
    fake: FakeDiscord
    text: Channel
    alice: Member
    bob: Member


@pytest.fixture
async def scene(fake_discord: FakeDiscord) -> AsyncIterator[Scene]:
    guild = await fake_discord.create_guild("g")
    text = await fake_discord.create_text_channel(guild, "general")
    alice = await fake_discord.create_member(guild, "alice")
    bob = await fake_discord.create_member(guild, "bob")
    async with running(build_bot(fake_discord), fake_discord):
        yield Scene(fake_discord, text, alice, bob)


async def test_subcommand_with_options(scene: Scene) -> None:
    handle = await scene.fake.invoke(
        "queue", member=scene.alice, channel=scene.text, subcommand="add", options={"query": "song", "count": 3}
    )
    reply = await handle.reply()
    assert reply.content == "added song x3" and not reply.ephemeral
    assert scene.fake.messages(scene.text) == [reply]
    command = scene.fake.core.commands.find(None, "queue")
    assert command is not None and handle.interaction.payload["data"]["id"] == command["id"]
    assert (await handle.response()).delay < 3.0


async def test_autocomplete_on_a_subcommand_option(scene: Scene) -> None:
    handle = await scene.fake.interactions.autocomplete(
        "queue", member=scene.alice, channel=scene.text, subcommand="add", focused="query", options={"query": "al"}
    )
    assert [c["value"] for c in await handle.choices()] == ["alpha", "alps"]


async def test_member_option_ephemeral_defer_edit_and_followup(scene: Scene) -> None:
    handle = await scene.fake.invoke("greet", member=scene.alice, channel=scene.text, options={"user": scene.bob})
    callback = await handle.response()
    assert callback.type == 5 and callback.ephemeral
    reply = await handle.reply()
    assert reply.content == "hello bob" and reply.ephemeral
    assert [s.content for s in reply.history] == ["", "hello bob"]
    followup = await handle.followup()
    assert followup.content == "and welcome" and followup.ephemeral
    assert scene.fake.messages(scene.text) == []


async def test_button_click_edits_the_message(scene: Scene) -> None:
    handle = await scene.fake.invoke("panel", member=scene.alice, channel=scene.text)
    message = await handle.reply()
    assert message.components and message.components[0]["components"][0]["custom_id"] == "panel:next"
    click = await scene.fake.click(message, "panel:next", member=scene.bob)
    assert (await click.response()).type == 7
    assert (await click.reply()).content == "page 2"
    assert [s.content for s in message.history] == ["page 1", "page 2"]
