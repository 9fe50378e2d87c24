"""Posts and edits channel messages through nextcord (the announcer's MessageSink)."""

from __future__ import annotations

import asyncio
import logging
from typing import Final

import nextcord

from gateway.discord.render import edit_kwargs, send_kwargs
from gateway.wording.reply import Reply

_log: Final = logging.getLogger(__name__)
REST_TIMEOUT_S: Final = 10.0


class DiscordMessages:
    def __init__(self, client: nextcord.Client) -> None:
        self._client = client

    async def send(self, channel_id: int, reply: Reply) -> int | None:
        channel = self._client.get_partial_messageable(channel_id)
        try:
            async with asyncio.timeout(REST_TIMEOUT_S):
                message = await channel.send(**send_kwargs(reply))
        except (nextcord.Forbidden, nextcord.NotFound):
            _log.warning("cannot post in channel %s", channel_id)
            return None
        return message.id

    async def edit(self, channel_id: int, message_id: int, reply: Reply) -> bool:
        # nextcord's PartialMessage accepts only text-like channel types; the REST route is the same for all.
        channel = self._client.get_partial_messageable(channel_id, type=nextcord.ChannelType.text)
        message = channel.get_partial_message(message_id)
        try:
            async with asyncio.timeout(REST_TIMEOUT_S):
                await message.edit(**edit_kwargs(reply))
        except (nextcord.Forbidden, nextcord.NotFound):
            return False
        return True
