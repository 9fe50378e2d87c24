"""Attachments through stock nextcord: files in replies, edits and followups (multipart `files[n]`), a member's
file as a slash command option (type 11 with `resolved.attachments`), and the CDN that serves both."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import nextcord
import pytest

from localdiscord.fake_discord import FakeDiscord
from localdiscord.rest.attachments import Upload
from localdiscord.world.models import Channel, Member
from tests.localdiscord.clients.nextcord_bot import client_options, running
from tests.localdiscord.fixtures import NEXTCORD_WARNINGS

pytestmark = NEXTCORD_WARNINGS

Inter = nextcord.Interaction[nextcord.Client]
FILE = nextcord.SlashOption(description="the file")
seen: list[tuple[str, int, str, bytes]] = []


def _file(name: str, data: bytes) -> nextcord.File:
    return nextcord.File(io.BytesIO(data), filename=name)


def build_bot(fake: FakeDiscord) -> nextcord.Client:
    client = nextcord.Client(**client_options(fake))  # type: ignore[arg-type]

    @client.slash_command(name="export", description="Files")  # type: ignore[untyped-decorator]
    async def export(interaction: Inter) -> None:
        await interaction.response.defer(ephemeral=True)
        files = [_file("a.json", b"{}"), _file("a.m3u", b"#")]
        await interaction.edit_original_message(content="two files", files=files)
        await interaction.followup.send("one more", file=_file("b.txt", b"hello"), ephemeral=True)

    @client.slash_command(name="reply", description="A reply with a file")  # type: ignore[untyped-decorator]
    async def reply(interaction: Inter) -> None:
        await interaction.response.send_message("here", file=_file("c.txt", b"abc"))

    @client.slash_command(name="upload", description="Read a file")  # type: ignore[untyped-decorator]
    async def upload(interaction: Inter, file: nextcord.Attachment = FILE) -> None:
        seen.append((file.filename, file.size, file.url, await file.read()))
        await interaction.response.send_message(f"read {file.filename}", ephemeral=True)

    return client


@dataclass
class Scene:
    fake: FakeDiscord
    text: Channel
    alice: Member


@pytest.fixture
async def scene(fake_discord: FakeDiscord) -> AsyncIterator[Scene]:
    guild = await fake_discord.create_guild("g")
    text = await fake_discord.create_text_channel(guild, "general")
    alice = await fake_discord.create_member(guild, "alice")
    async with running(build_bot(fake_discord), fake_discord):
        yield Scene(fake_discord, text, alice)


async def _download(url: str) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.read()


async def test_files_in_an_edited_reply_and_a_followup_are_stored_and_served(scene: Scene) -> None:
    handle = await scene.fake.invoke("export", member=scene.alice, channel=scene.text)
    reply = await handle.reply()
    assert [a["filename"] for a in reply.attachments] == ["a.json", "a.m3u"]
    assert all(a["ephemeral"] and "/ephemeral-attachments/" in a["url"] for a in reply.attachments)
    assert await _download(reply.attachments[0]["url"]) == (200, b"{}")
    assert reply.attachments[1]["size"] == 1
    followup = await handle.followup(0)
    assert [a["filename"] for a in followup.attachments] == ["b.txt"]
    assert await _download(followup.attachments[0]["url"]) == (200, b"hello")


async def test_a_reply_with_a_file_and_an_unsigned_link(scene: Scene) -> None:
    handle = await scene.fake.invoke("reply", member=scene.alice, channel=scene.text)
    reply = await handle.reply()
    (attachment,) = reply.attachments
    assert "ephemeral" not in attachment and "/attachments/" in attachment["url"]
    assert await _download(attachment["url"]) == (200, b"abc")
    unsigned = attachment["url"].split("?")[0]
    assert (await _download(unsigned))[0] == 404, "Discord's CDN refuses links without their signature"


async def test_a_member_attaches_a_file_to_a_command_option(scene: Scene) -> None:
    seen.clear()
    upload = Upload("list.m3u", b"#EXTM3U\nhttp://x/a.mp3\n", size=999)
    handle = await scene.fake.invoke("upload", member=scene.alice, channel=scene.text, options={"file": upload})
    assert "read list.m3u" in (await handle.reply()).content
    ((filename, size, url, data),) = seen
    assert (filename, size, data) == ("list.m3u", 999, upload.data), "the size is what Discord reports"
    assert url.startswith(scene.fake.core.cdn.base + "/ephemeral-attachments/")
    assert scene.fake.core.cdn.downloads == [url.split("?")[0].removeprefix(scene.fake.core.cdn.base)]
