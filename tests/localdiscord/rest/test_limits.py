"""The fake refuses what Discord refuses: an oversize message, embed, component or autocomplete answer is a 400
"Invalid Form Body" (code 50035) with Discord's nested `_errors` tree, and nothing is stored."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from localdiscord.fake_discord import FakeDiscord
from tests.localdiscord.clients.rest import RestClient, invoked_command

TOO_LONG: dict[str, Any] = {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 2000 or fewer in length."}


@pytest.fixture
async def api() -> AsyncIterator[RestClient]:
    async with FakeDiscord() as fake, aiohttp.ClientSession() as http:
        yield RestClient(http, fake)


def _invalid(status: int, error: Any) -> Any:
    assert status == 400
    assert error["code"] == 50035 and error["message"] == "Invalid Form Body"
    return error["errors"]


def _max(limit: int) -> dict[str, Any]:
    return {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": f"Must be {limit} or fewer in length."}]}


OVERSIZE: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("content", {"content": "x" * 2001}, {"content": _max(2000)}),
    ("title", {"embeds": [{"title": "t" * 257}]}, {"embeds": {"0": {"title": _max(256)}}}),
    ("description", {"embeds": [{"description": "d" * 4097}]}, {"embeds": {"0": {"description": _max(4096)}}}),
    (
        "field",
        {"embeds": [{"fields": [{"name": "n", "value": "v"}, {"name": "n" * 257, "value": "v" * 1025}]}]},
        {"embeds": {"0": {"fields": {"1": {"name": _max(256), "value": _max(1024)}}}}},
    ),
    (
        "fields",
        {"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]},
        {"embeds": {"0": {"fields": _max(25)}}},
    ),
    ("footer", {"embeds": [{"footer": {"text": "f" * 2049}}]}, {"embeds": {"0": {"footer": {"text": _max(2048)}}}}),
    ("author", {"embeds": [{"author": {"name": "a" * 257}}]}, {"embeds": {"0": {"author": {"name": _max(256)}}}}),
    (
        "total",
        {"embeds": [{"title": "t" * 256, "description": "d" * 4096, "footer": {"text": "f" * 2000}}]},
        {
            "embeds": {
                "_errors": [{"code": "MAX_EMBED_SIZE_EXCEEDED", "message": "Embed size exceeds maximum size of 6000"}]
            }
        },
    ),
    (
        "button",
        {
            "components": [
                {"type": 1, "components": [{"type": 2, "style": 1, "label": "l" * 81, "custom_id": "c" * 101}]}
            ]
        },
        {"components": {"0": {"components": {"0": {"custom_id": _max(100), "label": _max(80)}}}}},
    ),
    (
        "select",
        {
            "components": [
                {
                    "type": 1,
                    "components": [{"type": 3, "custom_id": "s", "options": [{"label": "o", "value": "o"}] * 26}],
                }
            ]
        },
        {"components": {"0": {"components": {"0": {"options": _max(25)}}}}},
    ),
]


@pytest.mark.parametrize(("body", "errors"), [case[1:] for case in OVERSIZE], ids=[case[0] for case in OVERSIZE])
async def test_oversize_channel_messages_and_edits_are_refused(
    api: RestClient, body: dict[str, Any], errors: dict[str, Any]
) -> None:
    guild = await api.fake.create_guild("g")
    text = await api.fake.create_text_channel(guild, "general")
    base = f"/channels/{text.id}/messages"
    assert _invalid(*(await api.call("POST", base, body))[:2]) == errors
    assert api.fake.messages(text) == []
    status, message, _ = await api.call("POST", base, {"content": "fits"})
    assert status == 200
    assert _invalid(*(await api.call("PATCH", f"{base}/{message['id']}", body))[:2]) == errors
    assert [m.content for m in api.fake.messages(text)] == ["fits"]


async def test_oversize_replies_followups_and_original_edits_are_refused(api: RestClient) -> None:
    _text, _alice, handle = await invoked_command(api)
    token = handle.interaction.token
    callback = f"/interactions/{handle.id}/{token}/callback"
    status, error, _ = await api.call("POST", callback, {"type": 4, "data": {"content": "x" * 2001}}, auth=False)
    assert _invalid(status, error) == {"data": {"content": _max(2000)}}
    assert handle.callback is None, "a refused callback does not acknowledge the interaction"
    assert (await api.call("POST", callback, {"type": 5}, auth=False))[0] == 204
    hook = f"/webhooks/{api.fake.application_id}/{token}"
    status, error, _ = await api.call("PATCH", f"{hook}/messages/@original", {"content": "x" * 2001}, auth=False)
    assert _invalid(status, error) == {"content": _max(2000)}
    status, error, _ = await api.call("POST", f"{hook}?wait=true", {"embeds": [{"title": "t" * 300}]}, auth=False)
    assert _invalid(status, error) == {"embeds": {"0": {"title": _max(256)}}}
    assert handle.interaction.followups == []
    status, fits, _ = await api.call("PATCH", f"{hook}/messages/@original", {"content": "x" * 2000}, auth=False)
    assert status == 200 and len(fits["content"]) == 2000


async def test_oversize_autocomplete_answers_are_refused(api: RestClient) -> None:
    text, alice, _handle = await invoked_command(api)
    auto = await api.fake.interactions.autocomplete("hi", member=alice, channel=text, focused="q", options={"q": "ab"})
    path = f"/interactions/{auto.id}/{auto.interaction.token}/callback"
    choices = [{"name": "ok", "value": "ok"}, {"name": "n" * 101, "value": "v" * 101}, {"name": "", "value": "e"}]
    status, error, _ = await api.call("POST", path, {"type": 8, "data": {"choices": choices}}, auth=False)
    bad_name = {"_errors": [{"code": "BASE_TYPE_BAD_LENGTH", "message": "Must be between 1 and 100 in length."}]}
    assert _invalid(status, error) == {
        "data": {"choices": {"1": {"name": bad_name, "value": _max(100)}, "2": {"name": bad_name}}}
    }
    many = [{"name": str(n), "value": str(n)} for n in range(26)]
    status, error, _ = await api.call("POST", path, {"type": 8, "data": {"choices": many}}, auth=False)
    assert _invalid(status, error) == {"data": {"choices": _max(25)}}
    fits = [{"name": "n" * 100, "value": "v" * 100}] * 25
    assert (await api.call("POST", path, {"type": 8, "data": {"choices": fits}}, auth=False))[0] == 204
    assert await auto.choices() == fits
