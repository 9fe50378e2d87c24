"""The gateway's half of voice: send op 4 through nextcord and forward Discord's answers, never opening voice itself.

`ForwardingVoiceProtocol` is registered per guild through `channel.connect(cls=...)`, which is the only way to get
nextcord to hand over the bot's raw VOICE_STATE_UPDATE / VOICE_SERVER_UPDATE payloads. `DiscordVoiceControl` is
what the rest of the gateway uses to join, move and leave.
"""

from __future__ import annotations

import logging
from typing import Any, Final, override

import nextcord
from nextcord.types.voice import GuildVoiceState as GuildVoiceStatePayload
from nextcord.types.voice import VoiceServerUpdate as VoiceServerUpdatePayload

from gateway.discord.interaction import bot_channel_id
from gateway.events.voice_forwarder import VoiceForwarder

_log: Final = logging.getLogger(__name__)
CONNECT_TIMEOUT_S: Final = 10.0
VocalChannel = nextcord.VoiceChannel | nextcord.StageChannel


class ForwardingVoiceProtocol(nextcord.VoiceProtocol):
    def __init__(self, client: nextcord.Client, channel: nextcord.abc.Connectable, forwarder: VoiceForwarder) -> None:
        super().__init__(client, channel)
        if not isinstance(channel, VocalChannel):
            raise TypeError("voice needs a voice or stage channel")
        self.vocal: VocalChannel = channel
        self._forwarder = forwarder

    @property
    def guild_id(self) -> int:
        return self.vocal.guild.id

    @override
    async def on_voice_state_update(self, data: GuildVoiceStatePayload) -> None:
        raw_channel: object = data.get("channel_id")
        channel_id = int(str(raw_channel)) if raw_channel is not None else None
        await self._forwarder.state_update(self.guild_id, str(data["session_id"]), channel_id)
        if channel_id is None:
            self.cleanup()

    @override
    async def on_voice_server_update(self, data: VoiceServerUpdatePayload) -> None:
        endpoint = data.get("endpoint")
        await self._forwarder.server_update(self.guild_id, str(data["token"]), str(endpoint) if endpoint else None)

    @override
    async def connect(self, *, timeout: float, reconnect: bool) -> None:
        """Send op 4 (self-deafened) and return; the answers arrive through the two callbacks."""
        await self.move_to(self.vocal)

    async def move_to(self, channel: VocalChannel) -> None:
        self._forwarder.begin(self.guild_id)
        self.vocal = channel
        self.channel = channel
        await self.vocal.guild.change_voice_state(channel=channel, self_deaf=True)

    @override
    async def disconnect(self, *, force: bool) -> None:
        try:
            await self.vocal.guild.change_voice_state(channel=None)
        finally:
            self.cleanup()
            await self._forwarder.left(self.guild_id)


class DiscordVoiceControl:
    """Join, move and leave by guild and channel id (what voice requests and the rejoin after a restart need)."""

    def __init__(self, client: nextcord.Client, forwarder: VoiceForwarder) -> None:
        self._client = client
        self._forwarder = forwarder

    def _protocol(self, client: nextcord.Client, channel: nextcord.abc.Connectable) -> ForwardingVoiceProtocol:
        return ForwardingVoiceProtocol(client, channel, self._forwarder)

    def knows(self, guild_id: int) -> bool:
        return self._client.get_guild(guild_id) is not None

    def channel_of(self, guild_id: int) -> int | None:
        return bot_channel_id(self._client.get_guild(guild_id))

    async def join(self, guild_id: int, channel_id: int, request_id: str | None = None) -> bool:
        """Join or move to the channel (again, if already there: fresh credentials); False if it is unknown.

        ``request_id`` names the worker's request being carried out: the credentials that follow are tagged with it.
        """
        guild = self._client.get_guild(guild_id)
        channel = guild.get_channel(channel_id) if guild is not None else None
        if guild is None or not isinstance(channel, VocalChannel):
            _log.warning("cannot join unknown voice channel %s", channel_id, extra={"guild_id": guild_id})
            return False
        self._forwarder.follow(guild_id, request_id)
        current: Any = guild.voice_client
        if isinstance(current, ForwardingVoiceProtocol):
            await current.move_to(channel)
        else:
            if current is not None:
                await current.disconnect(force=True)
            await channel.connect(cls=self._protocol, timeout=CONNECT_TIMEOUT_S)
        _log.info("joining voice channel %s", channel_id, extra={"guild_id": guild_id})
        return True

    async def leave(self, guild_id: int, request_id: str | None = None) -> None:
        guild = self._client.get_guild(guild_id)
        if guild is None:
            return
        self._forwarder.follow(guild_id, request_id)
        current = guild.voice_client
        if current is not None:
            await current.disconnect(force=True)
        else:
            # Connected from before a restart (no protocol registered yet): leave directly.
            await guild.change_voice_state(channel=None)
            await self._forwarder.left(guild_id)
        _log.info("left voice", extra={"guild_id": guild_id})
