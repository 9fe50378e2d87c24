"""Who listens in the bot's voice channel: members (bots excluded) there, counted for the guild's player, and those
who can hear it (not deafened), the voters of vote skip.

The worker cannot see the Discord gateway, so the alone-idle timer ("leave after N minutes with nobody there")
depends on these counts. One `ListenersCommand` is appended when the count in the bot's channel changes.

Without the members intent nextcord keeps a member object (and so knows whether it is a bot) only for members whose
voice state update it saw; `cache_voice_members` adds the members GUILD_CREATE lists with the guild's voice states.
"""

from __future__ import annotations

import logging
from typing import Any, Final

import nextcord
from redis.exceptions import RedisError

from gateway.events.shards import ShardFilter
from shared.command_store import CommandStore
from shared.commands import ListenersCommand

_log: Final = logging.getLogger(__name__)


def _humans(channel: nextcord.abc.GuildChannel | None) -> dict[int, nextcord.VoiceState]:
    """Voice states of the users in the channel other than bots; a user whose member object is not cached counts
    as a person."""
    if not isinstance(channel, nextcord.VoiceChannel | nextcord.StageChannel):
        return {}
    guild = channel.guild
    humans: dict[int, nextcord.VoiceState] = {}
    for user_id, state in channel.voice_states.items():
        member = guild.get_member(user_id)
        is_bot = member.bot if member is not None else user_id == guild.me.id
        if not is_bot:
            humans[user_id] = state
    return humans


def listeners_in(channel: nextcord.abc.GuildChannel | None) -> int:
    """Users in the channel other than bots (deafened ones too: they are still there for the alone-idle timer)."""
    return len(_humans(channel))


def hearing_in(channel: nextcord.abc.GuildChannel | None) -> frozenset[int]:
    """The humans in the channel who can hear it: not deafened by themselves or by a moderator (vote skip)."""
    return frozenset(uid for uid, state in _humans(channel).items() if not (state.self_deaf or state.deaf))


def cache_voice_members(client: nextcord.Client) -> None:
    """Wrap nextcord's GUILD_CREATE parser: members who are in a voice channel when a guild becomes available are
    cached as nextcord caches those who join later (otherwise a bot already in the channel counts as a person
    until its next voice state update)."""
    connection: Any = client._connection  # nextcord has no hook after its own parsing
    parsers: dict[str, Any] = connection.parsers
    parse = parsers["GUILD_CREATE"]

    def parse_and_cache(payload: Any) -> None:
        parse(payload)
        try:
            _cache_members_in_voice(client, connection, payload)
        except Exception as exc:  # noqa: BLE001 - a member nextcord cannot read must not end the connection
            _log.warning("could not cache the voice members of a guild (%s)", type(exc).__name__)

    parsers["GUILD_CREATE"] = parse_and_cache


def _cache_members_in_voice(client: nextcord.Client, connection: Any, payload: Any) -> None:
    guild = client.get_guild(int(payload["id"])) if isinstance(payload, dict) and "id" in payload else None
    if guild is None:
        return
    for data in payload.get("members") or ():
        user_id = int(data["user"]["id"])
        if guild.get_member(user_id) is None and guild._voice_state_for(user_id) is not None:
            guild._add_member(nextcord.Member(data=data, guild=guild, state=connection))


class ListenerWatch:
    def __init__(self, commands: CommandStore, shards: ShardFilter) -> None:
        self._commands = commands
        self._shards = shards
        self._last: dict[int, int] = {}

    async def on_voice_state_update(
        self, member: nextcord.Member, before: nextcord.VoiceState, after: nextcord.VoiceState
    ) -> None:
        guild = member.guild
        if not self._shards.serves(guild.id) or before.channel == after.channel:
            return
        bot_voice = guild.me.voice
        channel = bot_voice.channel if bot_voice is not None else None
        if channel is None:
            self._last.pop(guild.id, None)
            return
        if member.id != guild.me.id and channel not in (before.channel, after.channel):
            return
        count = listeners_in(channel)
        if self._last.get(guild.id) == count:
            return
        self._last[guild.id] = count
        try:
            await self._commands.append(guild.id, ListenersCommand(count=count))
        except (RedisError, OSError) as exc:
            _log.warning("could not report listeners: %s", exc, extra={"guild_id": guild.id})
