"""Channel routes beyond messages: a voice channel's status (`PUT /channels/{channel_id}/voice-status`).

Discord has not documented the endpoint (discord-api-docs PR #6400 describes it; libraries have used it since
2023), so this follows what bots observe: the body is `{"status": <string or null>}`, up to 500 characters, empty
or null clears it; the answer is 204 with no body and the change arrives as the gateway event
VOICE_CHANNEL_STATUS_UPDATE `{"id", "guild_id", "status"}`. The caller needs SET_VOICE_CHANNEL_STATUS in the
channel and must be connected to it, unless it also has MANAGE_CHANNELS there; otherwise 403 with code 50013
"Missing Permissions" (50001 "Missing Access" when it cannot even see the channel).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import web

from localdiscord.fake_state import Core
from localdiscord.rest.limits import FormErrors, invalid_form_body
from localdiscord.rest.replies import BODY, JSON, error_reply, no_content
from localdiscord.world.models import VOICE, Channel, Guild
from localdiscord.world.permissions import MANAGE_CHANNELS, SET_VOICE_CHANNEL_STATUS, VIEW_CHANNEL, Permissions

VOICE_STATUS: Final = 500
"""Characters of a voice channel's status."""
type Dispatch = Callable[[int, str, JSON], Awaitable[None]]


class ChannelRoutes:
    def __init__(self, core: Core, dispatch: Dispatch) -> None:
        self.core = core
        self.dispatch = dispatch
        """Sends a gateway event to the sessions that cover a guild."""

    def routes(self) -> list[web.RouteDef]:
        return [web.put("/channels/{channel_id}/voice-status", self.voice_status)]

    async def voice_status(self, request: web.Request) -> web.Response:
        channel = self.core.world.channels.get(int(request.match_info["channel_id"]))
        if channel is None:
            return error_reply(404, 10003, "Unknown Channel")
        guild = self.core.world.guild_of_channel(channel.id)
        if (refused := self._refusal(guild, channel)) is not None:
            return refused
        if channel.type != VOICE:
            return error_reply(400, 50024, "Cannot execute action on this channel type")
        body = request[BODY].json
        status = body.get("status") if isinstance(body, dict) else None
        errors = FormErrors()
        if status is not None and not isinstance(status, str):
            errors.add(("status",), "BASE_TYPE_STRING", "Must be a string.")
        errors.max_length(("status",), status, VOICE_STATUS)
        if errors.tree:
            return invalid_form_body(errors.tree)
        channel.status = status or None
        event = {"id": str(channel.id), "guild_id": str(guild.id), "status": channel.status}
        await self.dispatch(guild.id, "VOICE_CHANNEL_STATUS_UPDATE", event)
        return no_content()

    def _refusal(self, guild: Guild, channel: Channel) -> web.Response | None:
        bot = self.core.world.bot.id
        allowed = Permissions(guild, bot).in_channel(channel)
        if not allowed & VIEW_CHANNEL:
            return error_reply(403, 50001, "Missing Access")
        state = guild.voice_states.get(bot)
        connected = state is not None and state.channel_id == channel.id
        if not allowed & SET_VOICE_CHANNEL_STATUS or not (connected or allowed & MANAGE_CHANNELS):
            return error_reply(403, 50013, "Missing Permissions")
        return None
