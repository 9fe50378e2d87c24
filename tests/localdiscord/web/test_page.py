"""The local Discord's page over HTTP: what a member types becomes the interaction Discord's client would send (typed
options, resolved members and channels), or Discord's client-side refusal; ephemeral replies reach only their member;
only components on a message the member sees can be clicked."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson
import pytest

from localdiscord.config import FakeConfig
from localdiscord.fake_discord import FakeDiscord
from localdiscord.waiting import wait_until
from localdiscord.web.page import NO_RESPONSE, LocalDiscordPage, serve_page
from localdiscord.world.models import Channel, Guild, Member

type JSON = dict[str, Any]

COMMANDS: list[JSON] = [
    {
        "name": "play",
        "description": "play",
        "options": [
            {"name": "query", "type": 3, "description": "q", "required": True, "max_length": 20},
            {"name": "volume", "type": 4, "description": "v", "min_value": 0, "max_value": 200},
            {"name": "speed", "type": 10, "description": "s"},
            {"name": "shuffle", "type": 5, "description": "b"},
            {"name": "mode", "type": 3, "description": "m", "choices": [{"name": "Loud", "value": "loud"}]},
            {"name": "for", "type": 6, "description": "u"},
            {"name": "where", "type": 7, "description": "c"},
        ],
    },
    {
        "name": "queue",
        "description": "queue",
        "options": [{"name": "show", "type": 1, "description": "s", "options": []}],
    },
]


@pytest.fixture
def fake_discord_config() -> FakeConfig:
    return FakeConfig(dave_version=0, interaction_deadline=0.2)


@dataclass
class Site:
    fake: FakeDiscord
    guild: Guild
    text: Channel
    alice: Member
    bob: Member
    base: str
    http: aiohttp.ClientSession

    async def post(self, path: str, body: JSON, status: int = 200) -> JSON:
        async with self.http.post(self.base + path, json=body) as response:
            assert response.status == status, await response.text()
            data: JSON = await response.json()
            return data

    async def command(self, name: str, options: dict[str, str], status: int = 200, **extra: object) -> JSON:
        body = {"viewer": str(self.alice.user.id), "channel": str(self.text.id), "name": name, "options": options}
        return await self.post("/api/command", body | extra, status)

    def last_options(self) -> list[JSON]:
        interaction = list(self.fake.core.interactions.values())[-1]
        options: list[JSON] = interaction.payload["data"]["options"]
        return options


@pytest.fixture
async def site(fake_discord: FakeDiscord, http: aiohttp.ClientSession) -> AsyncIterator[Site]:
    guild = await fake_discord.create_guild("g")
    text = await fake_discord.create_text_channel(guild, "music")
    await fake_discord.create_voice_channel(guild, "Lounge")
    alice = await fake_discord.create_member(guild, "alice")
    bob = await fake_discord.create_member(guild, "bob")
    fake_discord.core.commands.overwrite(guild.id, COMMANDS)
    runner, base = await serve_page(LocalDiscordPage(fake_discord, guild), "127.0.0.1", 0)
    try:
        yield Site(fake_discord, guild, text, alice, bob, base.rstrip("/"), http)
    finally:
        await runner.cleanup()


async def test_typed_options_are_what_discord_sends(site: Site) -> None:
    answer = await site.command(
        "play",
        {"query": " hi ", "volume": "150", "speed": "1.5", "shuffle": "yes", "mode": "Loud", "for": "bob"},
    )
    assert answer["error"] == NO_RESPONSE  # no bot is connected to answer
    by_name = {o["name"]: o for o in site.last_options()}
    assert by_name["query"] == {"name": "query", "type": 3, "value": " hi "}
    assert by_name["volume"] == {"name": "volume", "type": 4, "value": 150}
    assert by_name["speed"] == {"name": "speed", "type": 10, "value": 1.5}
    assert by_name["shuffle"]["value"] is True
    assert by_name["mode"]["value"] == "loud"
    assert by_name["for"] == {"name": "for", "type": 6, "value": str(site.bob.user.id)}
    interaction = list(site.fake.core.interactions.values())[-1]
    assert str(site.bob.user.id) in interaction.payload["data"]["resolved"]["members"]


@pytest.mark.parametrize(
    ("name", "options", "refusal"),
    [
        ("nosuch", {}, "not a command"),
        ("play", {}, "required: query"),
        ("play", {"query": "x", "volume": "loud"}, "integer"),
        ("play", {"query": "x", "volume": "201"}, "from 0 to 200"),
        ("play", {"query": "x", "speed": "nan"}, "number"),
        ("play", {"query": "x" * 21}, "characters"),
        ("play", {"query": "x", "mode": "quiet"}, "choose one of Loud"),
        ("play", {"query": "x", "for": "nobody"}, "no member"),
        ("play", {"query": "x", "where": "#nowhere"}, "no channel"),
        ("play", {"query": "x", "colour": "red"}, "Unknown option"),
        ("queue", {}, "Choose a subcommand: show"),
    ],
)
async def test_what_discords_client_refuses_is_never_sent(
    site: Site, name: str, options: dict[str, str], refusal: str
) -> None:
    answer = await site.command(name, options, status=400)
    assert refusal in answer["error"]
    assert not site.fake.core.interactions


async def test_malformed_requests_are_refused(site: Site) -> None:
    for body in ({"viewer": "1", "channel": str(site.text.id), "name": "play"}, {"options": ["x"]}):
        answer = await site.post("/api/command", body, status=400)
        assert answer["error"]
    json_type = {"Content-Type": "application/json"}
    async with site.http.post(site.base + "/api/command", data=b"\xff not json", headers=json_type) as response:
        assert response.status == 400
    bot = {"viewer": str(site.fake.bot_user_id), "channel": str(site.text.id), "name": "play", "options": {}}
    assert "member" in (await site.post("/api/command", bot, status=400))["error"]


async def test_subcommands_are_nested(site: Site) -> None:
    await site.command("queue", {}, subcommand="show")
    assert site.last_options() == [{"name": "show", "type": 1, "options": []}]


async def test_ephemeral_replies_reach_only_their_member_and_components_must_exist(site: Site) -> None:
    sent = asyncio.get_running_loop().create_task(site.command("play", {"query": "x"}))
    await wait_until(lambda: site.fake.core.interactions or None, 5, "the interaction")
    interaction = list(site.fake.core.interactions.values())[-1]
    reply = {"content": "only for alice", "flags": 64, "components": [_button("ok")]}
    url = f"{site.fake.rest_base}/interactions/{interaction.id}/{interaction.token}/callback"
    async with site.http.post(url, json={"type": 4, "data": reply}) as response:
        assert response.status in (200, 204), await response.text()
    assert await sent == {"interaction": str(interaction.id), "callback": 4, "ephemeral": True}

    async def shown(member: Member) -> list[JSON]:
        query = f"channel={site.text.id}&viewer={member.user.id}"
        async with site.http.get(f"{site.base}/api/messages?{query}") as response:
            data: list[JSON] = await response.json()
            return data

    [message] = await shown(site.alice)
    assert message["ephemeral"] and message["content"] == "only for alice"
    assert message["invoked"] == {"name": "play", "member": "alice", "type": 2}
    assert await shown(site.bob) == []
    click = {"viewer": str(site.bob.user.id), "message": message["id"], "custom_id": "ok"}
    assert "Unknown message" in (await site.post("/api/click", click, status=400))["error"]
    click["viewer"] = str(site.alice.user.id)
    assert (await site.post("/api/click", click | {"custom_id": "nope"}, status=400))["error"]
    assert (await site.post("/api/click", click))["error"] == NO_RESPONSE
    assert list(site.fake.core.interactions.values())[-1].payload["data"]["custom_id"] == "ok"


def _button(custom_id: str) -> JSON:
    return {"type": 1, "components": [{"type": 2, "style": 1, "label": "OK", "custom_id": custom_id}]}


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "http://evil.example", "Content-Type": "application/json"}, 403),
        ({"Content-Type": "text/plain"}, 415),  # what a cross-site form can send without a preflight
        ({"Host": "evil.example:80", "Content-Type": "application/json"}, 421),  # DNS rebinding
    ],
)
async def test_other_pages_cannot_drive_the_bot(site: Site, headers: dict[str, str], status: int) -> None:
    body = {"viewer": str(site.alice.user.id), "channel": str(site.text.id), "name": "play", "options": {"query": "x"}}
    async with site.http.post(site.base + "/api/command", data=orjson.dumps(body), headers=headers) as response:
        assert response.status == status, await response.text()
    assert not site.fake.core.interactions
    origin = {"Origin": "http://evil.example"}
    query = f"channel={site.text.id}&viewer={site.alice.user.id}"
    async with site.http.get(f"{site.base}/api/messages?{query}", headers=origin) as response:
        assert response.status == 403
