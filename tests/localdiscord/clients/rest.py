"""A hand-written REST client for the fake's REST tests: raw calls, with the bot token or without it (as webhooks
and interaction callbacks are made), and a slash command a member has invoked, to answer through those routes."""

from __future__ import annotations

from typing import Any

import aiohttp
import orjson

from localdiscord.fake_discord import FakeDiscord
from localdiscord.world.interactions import InteractionHandle
from localdiscord.world.models import Channel, Member


class RestClient:
    """Calls ``fake``'s REST API under ``/api/v10``; answers are (status, JSON body or None, headers)."""

    def __init__(self, http: aiohttp.ClientSession, fake: FakeDiscord) -> None:
        self.http, self.fake = http, fake
        self.auth = {"Authorization": f"Bot {fake.token}"}

    async def call(self, method: str, path: str, body: Any = None, *, auth: bool = True) -> tuple[int, Any, Any]:
        headers = self.auth if auth else {}
        data = orjson.dumps(body) if body is not None else None
        if data is not None:
            headers = headers | {"Content-Type": "application/json"}
        async with self.http.request(method, self.fake.rest_base + path, data=data, headers=headers) as reply:
            raw = await reply.read()
            return reply.status, (orjson.loads(raw) if raw else None), reply.headers


async def invoked_command(api: RestClient) -> tuple[Channel, Member, InteractionHandle]:
    """A new guild with #general and alice; the command ``/hi`` registered, then invoked by alice in #general."""
    fake = api.fake
    guild = await fake.create_guild("g")
    text = await fake.create_text_channel(guild, "general")
    alice = await fake.create_member(guild, "alice")
    await api.call("POST", f"/applications/{fake.application_id}/commands", {"name": "hi", "description": "hi"})
    return text, alice, await fake.invoke("hi", member=alice, channel=text)
