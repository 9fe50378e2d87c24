"""Assembles the bot's voice credentials from Discord's two voice events and hands them to the guild's owner.

Discord answers a voice state update (op 4) with VOICE_STATE_UPDATE (session_id, channel_id) and
VOICE_SERVER_UPDATE (token, endpoint), in either order. The worker needs all four, so after the gateway asks to join
or move, credentials are published only once both events arrived. Outside such a handshake (a moderator moved the
bot, Discord moved the voice server), a server update is published at once, while a state update that changes the
channel or session waits for the server update Discord sends with it (unless that one came just before).
Publishing means: store VoiceCredentials, then append a VoiceUpdateCommand to the guild's command stream, so the
owner sees the change in order.

Every publication is tagged with the id of the worker's voice-state request the gateway carried out last for the
guild (``VoiceCredentials.request_id``; see worker/voice/session.py): a voice session acts only on updates that
follow its own latest request, so a stale one (the /leave before a /play) cannot close the connection of a newer
request. Updates Discord sends on its own (a moderator's move or kick, a voice server move) follow the last request
too. A gateway that restarted takes the tag from the credentials stored in Redis until it carries a request out.

A channel-less state update that arrives while a join waits for its own state update is not published: Discord
answers op 4s in order, so it is the echo of an earlier leave (or a kick the join undoes), and the join's answer
follows it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from shared.command_store import CommandStore
from shared.commands import VoiceUpdateCommand
from shared.models import VoiceCredentials
from shared.voice_store import VoiceStore

_log: Final = logging.getLogger(__name__)
PUBLISH_ATTEMPTS: Final = 4
PUBLISH_BACKOFF_S: Final = 0.25
PAIR_WINDOW_S: Final = 2.0
"""A server update this recent belongs to the state update that follows it (Discord sends the two together)."""
ECHO_WINDOW_S: Final = 2.0
"""A channel-less state update this soon after a join began, before the join's own state update, is an echo."""


@dataclass(slots=True)
class _GuildVoice:
    session_id: str | None = None
    channel_id: int | None = None
    token: str | None = None
    endpoint: str | None = None
    handshake: bool = False
    state_seen: bool = False
    server_seen: bool = False
    server_at_s: float = float("-inf")
    begun_at_s: float = float("-inf")
    published: VoiceCredentials | None = None


class VoiceForwarder:
    def __init__(
        self, voice: VoiceStore, commands: CommandStore, user_id: Callable[[], int], clock: Callable[[], int]
    ) -> None:
        self._voice = voice
        self._commands = commands
        self._user_id = user_id
        self._clock = clock
        self._guilds: dict[int, _GuildVoice] = {}
        self._requests: dict[int, str] = {}
        """Per guild, the worker request carried out last: what publications are tagged with."""
        self._locks: dict[int, asyncio.Lock] = {}

    def _lock(self, guild_id: int) -> asyncio.Lock:
        return self._locks.setdefault(guild_id, asyncio.Lock())

    def follow(self, guild_id: int, request_id: str | None) -> None:
        """The gateway is about to carry out the worker's request ``request_id`` (before its op 4): tag what it
        publishes from now on with it. None (the gateway's own rejoin after a reconnect) keeps the current tag."""
        if request_id is not None:
            self._requests[guild_id] = request_id

    def begin(self, guild_id: int) -> None:
        """The gateway is about to send op 4 with a channel: publish when both answers are in."""
        voice = self._guilds.setdefault(guild_id, _GuildVoice())
        voice.handshake, voice.state_seen, voice.server_seen = True, False, False
        voice.server_at_s = float("-inf")
        voice.begun_at_s = asyncio.get_running_loop().time()

    async def state_update(self, guild_id: int, session_id: str, channel_id: int | None) -> None:
        async with self._lock(guild_id):
            voice = self._guilds.setdefault(guild_id, _GuildVoice())
            if channel_id is None:
                if self._is_echo(voice):
                    _log.info(
                        "ignoring a channel-less voice state before the join's answer", extra={"guild_id": guild_id}
                    )
                    return
                self._guilds[guild_id] = _GuildVoice()
                await self._publish(guild_id, _GuildVoice(session_id=session_id))
                return
            changed = (voice.session_id, voice.channel_id) != (session_id, channel_id)
            voice.session_id, voice.channel_id, voice.state_seen = session_id, channel_id, True
            if not voice.handshake and changed:
                recent = asyncio.get_running_loop().time() - voice.server_at_s <= PAIR_WINDOW_S
                voice.handshake, voice.server_seen = True, recent
            await self._maybe_publish(guild_id, voice)

    async def server_update(self, guild_id: int, token: str, endpoint: str | None) -> None:
        async with self._lock(guild_id):
            voice = self._guilds.setdefault(guild_id, _GuildVoice())
            voice.token, voice.endpoint, voice.server_seen = token, endpoint, True
            voice.server_at_s = asyncio.get_running_loop().time()
            if not voice.handshake:
                voice.state_seen = voice.session_id is not None
            await self._maybe_publish(guild_id, voice)

    async def left(self, guild_id: int) -> None:
        """The gateway sent op 4 without a channel: the owner must drop its voice connection."""
        async with self._lock(guild_id):
            session_id = self._guilds.pop(guild_id, _GuildVoice()).session_id or "left"
            await self._publish(guild_id, _GuildVoice(session_id=session_id))

    @staticmethod
    def _is_echo(voice: _GuildVoice) -> bool:
        waiting = voice.handshake and not voice.state_seen
        return waiting and asyncio.get_running_loop().time() - voice.begun_at_s <= ECHO_WINDOW_S

    def credentials(self, guild_id: int) -> VoiceCredentials | None:
        """What was last published for the guild by this process."""
        voice = self._guilds.get(guild_id)
        return voice.published if voice is not None else None

    async def _maybe_publish(self, guild_id: int, voice: _GuildVoice) -> None:
        if not (voice.state_seen and voice.server_seen and voice.session_id):
            return
        voice.handshake = voice.state_seen = voice.server_seen = False
        voice.published = await self._publish(guild_id, voice)

    async def _publish(self, guild_id: int, voice: _GuildVoice) -> VoiceCredentials:
        credentials = VoiceCredentials(
            guild_id=guild_id,
            user_id=self._user_id(),
            channel_id=voice.channel_id,
            session_id=voice.session_id or "none",
            token=voice.token,
            endpoint=voice.endpoint,
            updated_at_ms=self._clock(),
            request_id=await self._request_of(guild_id),
        )
        for attempt in range(1, PUBLISH_ATTEMPTS + 1):
            try:
                await self._voice.put_credentials(credentials)
                await self._commands.append(guild_id, VoiceUpdateCommand())
            except (RedisConnectionError, RedisTimeoutError):
                _log.warning("could not forward voice credentials (try %d)", attempt, extra={"guild_id": guild_id})
                await asyncio.sleep(PUBLISH_BACKOFF_S * attempt)
                continue
            _log.info("forwarded voice credentials (channel %s)", voice.channel_id, extra={"guild_id": guild_id})
            break
        return credentials

    async def _request_of(self, guild_id: int) -> str | None:
        """The tag for a publication: the request carried out last, after a restart the one stored with the
        credentials in Redis (None if unknown: the owner's session then ignores it and asks again)."""
        request_id = self._requests.get(guild_id)
        if request_id is not None:
            return request_id
        try:
            stored = await self._voice.credentials(guild_id)
        except (RedisConnectionError, RedisTimeoutError):
            return None
        if stored is not None and stored.request_id is not None:
            self._requests.setdefault(guild_id, stored.request_id)
            return stored.request_id
        return None
