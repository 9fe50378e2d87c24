"""REST v10 as nextcord uses it, exercised with a plain aiohttp client."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import orjson
import pytest

from localdiscord.config import FakeConfig
from localdiscord.fake_discord import FakeDiscord
from localdiscord.world.ids import snowflake_time_ms
from tests.localdiscord.clients.rest import RestClient, invoked_command


@pytest.fixture
async def api() -> AsyncIterator[RestClient]:
    async with FakeDiscord(FakeConfig(interaction_deadline=0.5)) as fake, aiohttp.ClientSession() as http:
        yield RestClient(http, fake)


async def test_conventions_content_type_rate_limits_auth_and_errors(api: RestClient) -> None:
    status, me, headers = await api.call("GET", "/users/@me")
    assert status == 200 and me["id"] == str(api.fake.bot_user_id) and me["bot"] is True
    assert headers["Content-Type"] == "application/json"
    assert headers["X-RateLimit-Limit"] == "50" and headers["X-RateLimit-Remaining"] == "49"
    assert float(headers["X-RateLimit-Reset-After"]) == 1.0 and headers["X-RateLimit-Bucket"]
    assert (await api.call("GET", "/users/@me", auth=False))[:2] == (401, {"message": "401: Unauthorized", "code": 0})
    status, error, headers = await api.call("GET", "/no/such/route")
    assert status == 404 and error["code"] == 0 and headers["Content-Type"] == "application/json"
    status, gateway, _ = await api.call("GET", "/gateway")
    assert gateway == {"url": api.fake.gateway_url}
    status, app, _ = await api.call("GET", "/oauth2/applications/@me")
    assert app["id"] == str(api.fake.application_id) and app["rpc_origins"] == []
    assert abs(snowflake_time_ms(int(me["id"])) - time.time() * 1000) < 60_000
    record = api.fake.core.requests[0]
    assert (record.method, record.path, record.status) == ("GET", "/users/@me", 200)
    assert record.finished >= record.started and record.authorization == f"Bot {api.fake.token}"


@pytest.mark.parametrize("scoped", [False, True], ids=["global", "guild"])
async def test_application_commands_are_stored_verbatim(api: RestClient, scoped: bool) -> None:
    guild = await api.fake.create_guild("g")
    app = api.fake.application_id
    base = f"/applications/{app}/guilds/{guild.id}/commands" if scoped else f"/applications/{app}/commands"
    body = {"name": "play", "description": "Play", "options": [{"type": 3, "name": "query", "description": "q"}]}
    status, created, _ = await api.call("POST", base, body)
    assert status == 201
    assert {k: v for k, v in created.items() if k not in ("id", "application_id", "version", "guild_id")} == body
    assert created["application_id"] == str(app) and int(created["version"]) > 0
    assert created.get("guild_id") == (str(guild.id) if scoped else None)
    status, again, _ = await api.call("POST", base, body | {"description": "Play!"})
    assert status == 200 and again["id"] == created["id"]
    status, edited, _ = await api.call("PATCH", f"{base}/{created['id']}", {"description": "Edited"})
    assert edited["description"] == "Edited" and edited["options"] == body["options"]
    status, listed, _ = await api.call("GET", base + "?with_localizations=true")
    assert [c["id"] for c in listed] == [created["id"]]
    status, overwritten, _ = await api.call(
        "PUT", base, [{"name": "play", "description": "P"}, {"name": "skip", "description": "S"}]
    )
    assert [c["name"] for c in overwritten] == ["play", "skip"] and overwritten[0]["id"] == created["id"]
    assert (await api.call("DELETE", f"{base}/{created['id']}"))[0] == 204
    assert [c["name"] for c in (await api.call("GET", base))[1]] == ["skip"]
    assert (await api.call("DELETE", f"{base}/{created['id']}"))[0] == 404


async def test_callback_rules_one_callback_within_the_deadline(api: RestClient) -> None:
    text, alice, handle = await invoked_command(api)
    path = f"/interactions/{handle.id}/{handle.interaction.token}/callback"
    assert (await api.call("POST", path, {"type": 4, "data": {"content": "hi", "flags": 64}}, auth=False))[0] == 204
    status, error, _ = await api.call("POST", path, {"type": 4, "data": {"content": "again"}}, auth=False)
    assert (status, error["code"]) == (400, 40060)
    reply = await handle.reply()
    assert reply.content == "hi" and reply.ephemeral and (await handle.response()).ephemeral
    assert api.fake.messages(text) == [] and api.fake.messages(text, include_ephemeral=True) == [reply]
    late = await api.fake.invoke("hi", member=alice, channel=text)
    await asyncio.sleep(0.6)
    late_path = f"/interactions/{late.id}/{late.interaction.token}/callback"
    status, error, _ = await api.call("POST", late_path, {"type": 5}, auth=False)
    assert (status, error["code"]) == (404, 10062) and late.callback is None
    assert (await api.call("POST", f"/interactions/{late.id}/wrong/callback", {"type": 5}, auth=False))[0] == 404


async def test_deferred_reply_followups_and_original(api: RestClient) -> None:
    text, _alice, handle = await invoked_command(api)
    token = handle.interaction.token
    hook = f"/webhooks/{api.fake.application_id}/{token}"
    assert (await api.call("POST", f"/interactions/{handle.id}/{token}/callback", {"type": 5}, auth=False))[0] == 204
    status, original, _ = await api.call("GET", f"{hook}/messages/@original", auth=False)
    assert status == 200 and original["flags"] & 128
    status, edited, _ = await api.call("PATCH", f"{hook}/messages/@original", {"content": "done"}, auth=False)
    assert edited["content"] == "done" and not edited["flags"] & 128 and edited["edited_timestamp"]
    assert (await handle.reply()).content == "done"
    status, followup, _ = await api.call("POST", f"{hook}?wait=true", {"content": "more", "flags": 64}, auth=False)
    assert status == 200 and followup["flags"] == 64 and followup["webhook_id"] == str(api.fake.application_id)
    assert (await handle.followup()).content == "more"
    await api.call("PATCH", f"{hook}/messages/{followup['id']}", {"content": "more!"}, auth=False)
    assert [s.content for s in (await handle.followup()).history] == ["more", "more!"]
    assert (await api.call("DELETE", f"{hook}/messages/@original", auth=False))[0] == 204
    assert (await api.call("GET", f"{hook}/messages/@original", auth=False))[0] == 404
    assert (
        await api.call("POST", f"/webhooks/{api.fake.application_id}/nope?wait=true", {"content": "x"}, auth=False)
    )[1]["code"] == 10015
    assert [m.content for m in api.fake.messages(text)] == []


async def test_component_update_autocomplete_and_modal_callbacks(api: RestClient) -> None:
    text, alice, _handle = await invoked_command(api)
    _, message, _ = await api.call("POST", f"/channels/{text.id}/messages", {"content": "pick", "components": []})
    stored = api.fake.core.world.messages[int(message["id"])]
    click = await api.fake.click(stored, "next", member=alice)
    assert click.interaction.payload["message"]["id"] == message["id"]
    path = f"/interactions/{click.id}/{click.interaction.token}/callback"
    assert (await api.call("POST", path, {"type": 7, "data": {"content": "picked"}}, auth=False))[0] == 204
    assert (await click.reply()).content == "picked" and [s.content for s in stored.history] == ["pick", "picked"]
    deferred = await api.fake.click(stored, "again", member=alice)
    path = f"/interactions/{deferred.id}/{deferred.interaction.token}/callback"
    assert (await api.call("POST", path, {"type": 6}, auth=False))[0] == 204
    assert (await deferred.reply()) is stored
    auto = await api.fake.interactions.autocomplete("hi", member=alice, channel=text, focused="q", options={"q": "ab"})
    assert auto.interaction.payload["data"]["options"] == [{"name": "q", "type": 3, "value": "ab", "focused": True}]
    path = f"/interactions/{auto.id}/{auto.interaction.token}/callback"
    choices = [{"name": "abc", "value": "abc"}]
    assert (await api.call("POST", path, {"type": 8, "data": {"choices": choices}}, auth=False))[0] == 204
    assert await auto.choices() == choices
    modal = await api.fake.invoke("hi", member=alice, channel=text)
    path = f"/interactions/{modal.id}/{modal.interaction.token}/callback"
    assert (
        await api.call(
            "POST", path, {"type": 9, "data": {"custom_id": "m", "title": "T", "components": []}}, auth=False
        )
    )[0] == 204
    assert (await modal.response()).type == 9


async def test_channel_messages_json_and_multipart(api: RestClient) -> None:
    guild = await api.fake.create_guild("g")
    text = await api.fake.create_text_channel(guild, "general")
    base = f"/channels/{text.id}/messages"
    status, first, _ = await api.call("POST", base, {"content": "one", "embeds": [{"title": "t"}]})
    assert status == 200 and first["author"]["id"] == str(api.fake.bot_user_id) and first["embeds"] == [{"title": "t"}]
    form = aiohttp.FormData()
    form.add_field("payload_json", orjson.dumps({"content": "two"}).decode(), content_type="application/json")
    form.add_field("files[0]", b"hello", filename="a.txt", content_type="application/octet-stream")
    async with api.http.post(api.fake.rest_base + base, data=form, headers=api.auth) as reply:
        second = await reply.json()
    assert second["content"] == "two" and second["attachments"][0]["filename"] == "a.txt"
    assert api.fake.core.requests[-1].json == {"content": "two"}
    status, edited, _ = await api.call("PATCH", f"{base}/{first['id']}", {"content": "uno"})
    assert edited["content"] == "uno" and edited["edited_timestamp"]
    assert (await api.call("GET", f"{base}/{first['id']}"))[1]["content"] == "uno"
    assert [m["content"] for m in (await api.call("GET", base))[1]] == ["two", "uno"]
    assert (await api.call("DELETE", f"{base}/{second['id']}"))[0] == 204
    assert (await api.call("GET", f"{base}/{second['id']}"))[1]["code"] == 10008
    assert (await api.call("POST", "/channels/1/messages", {"content": "x"}))[1]["code"] == 10003
    (message,) = api.fake.messages(text)
    assert [s.content for s in message.history] == ["one", "uno"] and message.edited
    assert int(first["id"]) < int(second["id"])
