"""The fake's world: users, guilds, channels, roles, members, voice states and messages.

Each model renders the JSON payload Discord sends (snowflakes as strings) with the fields nextcord 3.2.0 reads.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from typing import Any, Final

from localdiscord.world.ids import Snowflakes, snowflake_time_ms

type JSON = dict[str, Any]

TEXT: Final = 0
VOICE: Final = 2
CATEGORY: Final = 4
EPHEMERAL: Final = 64
LOADING: Final = 128


def iso_time(snowflake: int) -> str:
    """The ISO-8601 timestamp of a snowflake, as Discord formats it."""
    return dt.datetime.fromtimestamp(snowflake_time_ms(snowflake) / 1000, dt.UTC).isoformat()


@dataclass(slots=True)
class User:
    id: int
    username: str
    bot: bool = False
    locale: str = "en-US"
    """The language of the user's Discord client: every interaction they create carries it as `locale` (it is
    not part of the user object other users see)."""

    def payload(self) -> JSON:
        return {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.username,
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }


@dataclass(slots=True)
class Role:
    id: int
    name: str
    permissions: int = 0
    position: int = 0

    def payload(self) -> JSON:
        return {
            "id": str(self.id),
            "name": self.name,
            "color": 0,
            "hoist": False,
            "icon": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }


@dataclass(frozen=True, slots=True)
class Overwrite:
    """A channel's permission overwrite for a role (type 0) or a member (type 1)."""

    ROLE = 0
    MEMBER = 1

    id: int
    type: int
    allow: int = 0
    deny: int = 0

    def payload(self) -> JSON:
        return {"id": str(self.id), "type": self.type, "allow": str(self.allow), "deny": str(self.deny)}


@dataclass(slots=True)
class Channel:
    id: int
    guild_id: int
    name: str
    type: int
    position: int = 0
    parent_id: int | None = None
    overwrites: list[Overwrite] = field(default_factory=list)
    status: str | None = None
    """A voice channel's status (`PUT /channels/{id}/voice-status`); None when cleared."""

    def payload(self) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "position": self.position,
            "parent_id": str(self.parent_id) if self.parent_id else None,
            "permission_overwrites": [o.payload() for o in self.overwrites],
            "nsfw": False,
            "flags": 0,
        }
        if self.type == VOICE:
            data |= {"bitrate": 64000, "user_limit": 0, "rtc_region": None, "rate_limit_per_user": 0}
            data["status"] = self.status
        elif self.type == TEXT:
            data |= {"topic": None, "last_message_id": None, "rate_limit_per_user": 0}
        return data


@dataclass(slots=True)
class Member:
    user: User
    guild_id: int
    roles: list[int] = field(default_factory=list)
    nick: str | None = None

    def payload(self, *, with_user: bool = True) -> JSON:
        data: JSON = {
            "roles": [str(r) for r in self.roles],
            "nick": self.nick,
            "avatar": None,
            "joined_at": iso_time(self.user.id),
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "premium_since": None,
        }
        if with_user:
            data["user"] = self.user.payload()
        return data


@dataclass(slots=True)
class VoiceState:
    guild_id: int
    user_id: int
    channel_id: int | None
    session_id: str
    self_mute: bool = False
    self_deaf: bool = False

    def payload(self, member: Member | None = None) -> JSON:
        data: JSON = {
            "guild_id": str(self.guild_id),
            "channel_id": str(self.channel_id) if self.channel_id else None,
            "user_id": str(self.user_id),
            "session_id": self.session_id,
            "deaf": False,
            "mute": False,
            "self_deaf": self.self_deaf,
            "self_mute": self.self_mute,
            "self_video": False,
            "suppress": False,
            "request_to_speak_timestamp": None,
        }
        if member is not None:
            data["member"] = member.payload()
        return data


@dataclass(slots=True)
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    voice_states: dict[int, VoiceState] = field(default_factory=dict)
    preferred_locale: str = "en-US"
    """The guild's community language: in GUILD_CREATE/GUILD_UPDATE and as every interaction's `guild_locale`."""

    def update_payload(self) -> JSON:
        """The GUILD_UPDATE ``d``: the guild object without members, channels or voice states."""
        data = self.create_payload()
        for key in ("members", "voice_states", "channels", "threads", "presences", "member_count", "large"):
            data.pop(key)
        return data

    def create_payload(self) -> JSON:
        """The GUILD_CREATE ``d``, with the bot's own member and every voice state."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "owner_id": str(self.owner_id),
            "unavailable": False,
            "large": False,
            "member_count": len(self.members),
            "joined_at": iso_time(self.id),
            "roles": [r.payload() for r in self.roles.values()],
            "channels": [c.payload() for c in self.channels.values()],
            "members": [m.payload() for m in self.members.values()],
            "voice_states": [v.payload() for v in self.voice_states.values() if v.channel_id],
            "presences": [],
            "threads": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "emojis": [],
            "stickers": [],
            "features": [],
            "preferred_locale": self.preferred_locale,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "system_channel_flags": 0,
        }


@dataclass(frozen=True, slots=True)
class MessageSnapshot:
    """One version of a message: what it looked like from ``at`` (monotonic seconds) on."""

    content: str
    embeds: list[JSON]
    components: list[JSON]
    flags: int
    at: float


@dataclass(slots=True)
class Message:
    id: int
    channel_id: int
    guild_id: int | None
    author: User
    content: str = ""
    embeds: list[JSON] = field(default_factory=list)
    components: list[JSON] = field(default_factory=list)
    attachments: list[JSON] = field(default_factory=list)
    flags: int = 0
    application_id: int | None = None
    interaction_id: int | None = None
    edited: bool = False
    deleted: bool = False
    history: list[MessageSnapshot] = field(default_factory=list)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    def snapshot(self) -> None:
        self.history.append(
            MessageSnapshot(self.content, list(self.embeds), list(self.components), self.flags, time.monotonic())
        )

    def apply(self, body: JSON, *, edit: bool) -> None:
        """Apply the fields of a create/edit body and record the new version."""
        if "content" in body:
            self.content = body["content"] or ""
        for key in ("embeds", "components", "attachments"):
            if key in body:
                setattr(self, key, list(body[key] or []))
        if "flags" in body and body["flags"] is not None:
            self.flags = (self.flags & EPHEMERAL) | int(body["flags"])
        if edit:
            self.edited = True
            self.flags &= ~LOADING
        self.snapshot()

    def payload(self) -> JSON:
        data: JSON = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "type": 20 if self.interaction_id else 0,
            "author": self.author.payload(),
            "content": self.content,
            "timestamp": iso_time(self.id),
            "edited_timestamp": dt.datetime.now(dt.UTC).isoformat() if self.edited else None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": self.attachments,
            "embeds": self.embeds,
            "components": self.components,
            "pinned": False,
            "flags": self.flags,
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if self.application_id is not None:
            data["webhook_id"] = str(self.application_id)
            data["application_id"] = str(self.application_id)
        return data


class World:
    """All guilds, users and messages of one fake Discord, plus its id factory."""

    def __init__(self, bot_name: str) -> None:
        self.ids = Snowflakes()
        self.bot = User(self.ids.next(), bot_name, bot=True)
        self.application_id = self.bot.id
        self.guilds: dict[int, Guild] = {}
        self.users: dict[int, User] = {self.bot.id: self.bot}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}

    def add_guild(self, name: str) -> Guild:
        owner = self.add_user(f"{name}-owner")
        guild = Guild(self.ids.next(), name, owner.id)
        guild.roles[guild.id] = Role(guild.id, "@everyone", permissions=(1 << 41) - 1)
        self.guilds[guild.id] = guild
        guild.members[owner.id] = Member(owner, guild.id)
        guild.members[self.bot.id] = Member(self.bot, guild.id)
        return guild

    def add_user(self, name: str, *, bot: bool = False) -> User:
        user = User(self.ids.next(), name, bot=bot)
        self.users[user.id] = user
        return user

    def add_channel(self, guild: Guild, name: str, kind: int, parent_id: int | None = None) -> Channel:
        channel = Channel(self.ids.next(), guild.id, name, kind, len(guild.channels), parent_id)
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        return channel

    def add_message(self, channel_id: int, author: User, body: JSON, **extra: Any) -> Message:
        channel = self.channels.get(channel_id)
        message = Message(self.ids.next(), channel_id, channel.guild_id if channel else None, author, **extra)
        message.apply(body, edit=False)
        self.messages[message.id] = message
        return message

    def guild_of_channel(self, channel_id: int) -> Guild:
        return self.guilds[self.channels[channel_id].guild_id]
