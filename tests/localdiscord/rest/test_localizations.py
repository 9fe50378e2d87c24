"""Application command localisations as Discord takes them: stored verbatim, listed only when asked, refused when
Discord would refuse them; interactions carry the member's `locale` and the guild's `guild_locale`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from localdiscord.fake_discord import FakeDiscord
from tests.localdiscord.clients.rest import RestClient

PLAY: dict[str, Any] = {
    "name": "play",
    "description": "Play",
    "name_localizations": {"de": "abspielen", "ja": "再生", "es-419": "reproducir"},
    "description_localizations": {"de": "Abspielen", "pt-BR": "Tocar"},
    "options": [
        {
            "type": 3,
            "name": "when",
            "description": "Where",
            "name_localizations": {"fr": "quand"},
            "description_localizations": {"fr": "Où"},
            "choices": [{"name": "end", "value": "end", "name_localizations": {"de": "am Ende"}}],
        }
    ],
}


@pytest.fixture
async def api() -> AsyncIterator[RestClient]:
    async with FakeDiscord() as fake, aiohttp.ClientSession() as http:
        yield RestClient(http, fake)


async def test_localisations_are_stored_verbatim_and_listed_when_asked(api: RestClient) -> None:
    base = f"/applications/{api.fake.application_id}/commands"
    status, created, _ = await api.call("POST", base, PLAY)
    assert status == 201
    assert {k: v for k, v in created.items() if k not in ("id", "application_id", "version")} == PLAY
    status, listed, _ = await api.call("GET", base + "?with_localizations=true")
    assert listed[0]["name_localizations"] == PLAY["name_localizations"]
    assert listed[0]["options"][0]["choices"][0]["name_localizations"] == {"de": "am Ende"}
    status, plain, _ = await api.call("GET", base)
    assert "name_localizations" not in plain[0] and "description_localizations" not in plain[0]
    assert "name_localizations" not in plain[0]["options"][0]["choices"][0]


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"name_localizations": {"de-DE": "abspielen"}}, ["name_localizations", "de-DE"]),
        ({"name_localizations": {"de": "Abspielen"}}, ["name_localizations", "de"]),
        ({"name_localizations": {"fr": "jouer maintenant"}}, ["name_localizations", "fr"]),
        ({"description_localizations": {"ja": "x" * 101}}, ["description_localizations", "ja"]),
    ],
)
async def test_localisations_discord_would_refuse_are_refused(
    api: RestClient, change: dict[str, Any], where: list[str]
) -> None:
    base = f"/applications/{api.fake.application_id}/commands"
    status, error, _ = await api.call("POST", base, PLAY | change)
    assert (status, error["code"]) == (400, 50035)
    node = error["errors"]
    for key in where:
        node = node[key]
    assert node["_errors"]
    status, error, _ = await api.call("PUT", base, [PLAY, PLAY | change | {"name": "other"}])
    assert (status, error["code"]) == (400, 50035) and "1" in error["errors"] and "0" not in error["errors"]
    assert api.fake.core.commands.listing(None) == []


async def test_interactions_carry_the_members_locale_and_the_guilds() -> None:
    async with FakeDiscord() as fake:
        guild = await fake.create_guild("g", preferred_locale="fr")
        text = await fake.create_text_channel(guild, "general")
        hans = await fake.create_member(guild, "hans", locale="de")
        plain = await fake.create_member(guild, "plain")
        fake.core.commands.upsert(None, {"name": "hi", "description": "hi"})
        first = await fake.invoke("hi", member=hans, channel=text)
        assert (first.interaction.payload["locale"], first.interaction.payload["guild_locale"]) == ("de", "fr")
        assert (await fake.invoke("hi", member=plain, channel=text)).interaction.payload["locale"] == "en-US"
        fake.world.set_locale(hans, "ja")
        await fake.world.set_preferred_locale(guild, "pt-BR")
        later = await fake.invoke("hi", member=hans, channel=text)
        assert (later.interaction.payload["locale"], later.interaction.payload["guild_locale"]) == ("ja", "pt-BR")
        assert guild.create_payload()["preferred_locale"] == "pt-BR"
