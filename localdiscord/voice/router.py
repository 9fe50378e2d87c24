"""Gateway-side voice: op 4 joins/moves/leaves, VOICE_STATE/SERVER_UPDATE, member voice, session death."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, Final

from localdiscord.fake_state import Core, VoiceGrant
from localdiscord.gateway.session import GatewaySession
from localdiscord.voice.server import VoiceServer
from localdiscord.world.models import Guild, VoiceState

_log: Final = logging.getLogger(__name__)
type JSON = dict[str, Any]
type Dispatch = Callable[[int, str, JSON], Awaitable[None]]


def _snowflake(value: object) -> int | None:
    """Gateway op 4 ids arrive as JSON ints (nextcord) or strings."""
    if value is None:
        return None
    return int(str(value))


class VoiceRouter:
    def __init__(self, core: Core, servers: list[VoiceServer]) -> None:
        self.core = core
        self.servers = servers
        self.guild_server: dict[int, int] = {}
        self.dispatch: Dispatch | None = None
        self.sessions_of: Callable[[str], GatewaySession | None] = lambda _sid: None

    def server_of(self, guild_id: int) -> VoiceServer:
        return self.servers[self.guild_server.get(guild_id, 0)]

    async def _dispatch(self, guild_id: int, event: str, data: JSON) -> None:
        if self.dispatch is not None:
            await self.dispatch(guild_id, event, data)

    async def bot_voice_state(self, session: GatewaySession, data: JSON) -> None:
        guild = self.core.world.guilds.get(_snowflake(data.get("guild_id")) or 0)
        if guild is None:
            return
        channel_id = _snowflake(data.get("channel_id"))
        bot = self.core.world.bot.id
        state = VoiceState(
            guild.id, bot, channel_id, session.id, bool(data.get("self_mute")), bool(data.get("self_deaf"))
        )
        if channel_id is None:
            guild.voice_states.pop(bot, None)
            self.core.grants.pop((guild.id, bot), None)
            await self._dispatch(guild.id, "VOICE_STATE_UPDATE", state.payload(guild.members.get(bot)))
            return
        guild.voice_states[bot] = state
        await self._dispatch(guild.id, "VOICE_STATE_UPDATE", state.payload(guild.members.get(bot)))
        await self.send_server_update(session, guild, channel_id)

    async def send_server_update(self, session: GatewaySession, guild: Guild, channel_id: int) -> VoiceGrant:
        """A new token (and maybe a new endpoint) for the bot's voice session in ``guild``."""
        server = self.server_of(guild.id)
        grant = VoiceGrant(guild.id, self.core.world.bot.id, channel_id, session.id, secrets.token_hex(8), server.index)
        self.core.grants[(guild.id, grant.user_id)] = grant
        update = {"token": grant.token, "guild_id": str(guild.id), "endpoint": server.endpoint}
        await session.dispatch("VOICE_SERVER_UPDATE", update)
        return grant

    async def member_voice(
        self, guild: Guild, user_id: int, channel_id: int | None, *, self_deaf: bool = False
    ) -> None:
        """A simulated member joins, moves or leaves (``None``) a voice channel, or (un)deafens itself there."""
        old = guild.voice_states.get(user_id)
        old_channel = old.channel_id if old else None
        deafening = old is not None and old_channel == channel_id and old.self_deaf != self_deaf
        if channel_id is None:
            guild.voice_states.pop(user_id, None)
        else:
            session_id = old.session_id if old is not None and deafening else secrets.token_hex(16)
            guild.voice_states[user_id] = VoiceState(guild.id, user_id, channel_id, session_id, self_deaf=self_deaf)
        state = guild.voice_states.get(user_id) or VoiceState(guild.id, user_id, None, secrets.token_hex(16))
        await self._dispatch(guild.id, "VOICE_STATE_UPDATE", state.payload(guild.members.get(user_id)))
        if deafening:
            return  # (un)deafening in place: the member stays in the call
        for server in self.servers:
            if old_channel is not None and (call := server.calls.get(old_channel)) is not None:
                await call.listener_left(user_id)
            if channel_id is not None and (call := server.calls.get(channel_id)) is not None:
                await call.listener_joined(user_id)

    async def move_endpoint(self, guild_id: int, server_index: int) -> VoiceGrant | None:
        """Point the guild at another voice server and send the bot a new VOICE_SERVER_UPDATE."""
        self.guild_server[guild_id] = server_index
        guild = self.core.world.guilds[guild_id]
        state = guild.voice_states.get(self.core.world.bot.id)
        if state is None or state.channel_id is None:
            return None
        session = self.sessions_of(state.session_id)
        if session is None:
            return None
        return await self.send_server_update(session, guild, state.channel_id)

    async def gateway_session_died(self, session_id: str) -> None:
        """Discord ends the voice sessions of a gateway session that died without resuming."""
        for server in self.servers:
            for conn in list(server.connections.values()):
                if conn.grant.session_id == session_id:
                    await conn.close(4014)
                    server.end(conn)
        bot = self.core.world.bot.id
        for guild in self.core.world.guilds.values():
            state = guild.voice_states.get(bot)
            if state is not None and state.session_id == session_id:
                del guild.voice_states[bot]
                self.core.grants.pop((guild.id, bot), None)
                left = VoiceState(guild.id, bot, None, session_id)
                await self._dispatch(guild.id, "VOICE_STATE_UPDATE", left.payload(guild.members.get(bot)))
