"""Who may do what: pure rules over the member, the bot's voice channel and the guild's settings.

- Reading (`/queue`, `/nowplaying`, `/history`, listing filters or settings) is open to everyone.
- Controlling playback needs the member in the bot's voice channel while the bot is in one. Members with Manage
  Server may control it from anywhere (moderators must be able to stop a bot).
- Destructive commands (clear, stop, volume, filter, remove, move) additionally need the DJ role when one is set, or
  Manage Server. A member may always remove their own queued track.
- Summoning (`/play`, `/search`) needs the member in a voice channel; the bot comes over when it is not connected,
  or when it is connected elsewhere but idle (nothing playing, nothing queued).
- Changing settings needs Manage Server, or the DJ role when one is set.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gateway.wording.language import tr
from shared.errors import PermissionDeniedError
from shared.models import GuildSettings


class Access(StrEnum):
    READ = "read"
    CONTROL = "control"
    DESTRUCTIVE = "destructive"
    SUMMON = "summon"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Actor:
    """The member behind an interaction, reduced to what the rules need."""

    user_id: int
    role_ids: frozenset[int]
    manage_guild: bool
    voice_channel_id: int | None


@dataclass(frozen=True, slots=True)
class VoiceSituation:
    bot_channel_id: int | None
    """The voice channel the bot is in, None when it is not connected."""
    busy: bool
    """Something is playing or queued."""


def is_dj(actor: Actor, settings: GuildSettings) -> bool:
    """Manage Server always counts; without a DJ role set, everyone counts."""
    if actor.manage_guild or settings.dj_role_id is None:
        return True
    return settings.dj_role_id in actor.role_ids


def require_dj(actor: Actor, settings: GuildSettings, what: str) -> None:
    if not is_dj(actor, settings):
        raise PermissionDeniedError(
            tr("{what} needs the DJ role {role} or Manage Server.", what=tr(what), role=f"<@&{settings.dj_role_id}>")
        )


def require_in_bot_channel(actor: Actor, situation: VoiceSituation) -> None:
    """Playback control: the member must listen with the bot (Manage Server may control from anywhere)."""
    bot_channel = situation.bot_channel_id
    if bot_channel is None or actor.manage_guild or actor.voice_channel_id == bot_channel:
        return
    raise PermissionDeniedError(tr("Join {channel} to control playback.", channel=f"<#{bot_channel}>"))


def check(access: Access, actor: Actor, situation: VoiceSituation, settings: GuildSettings, what: str) -> None:
    """Raise PermissionDeniedError unless `actor` may do `what` (a short description used in the message)."""
    if access is Access.READ:
        return
    if access is Access.ADMIN:
        require_admin(actor, settings)
        return
    if access is Access.SUMMON:
        summon_target(actor, situation)
        return
    if access is Access.DESTRUCTIVE:
        require_dj(actor, settings, what)
    require_in_bot_channel(actor, situation)


def summon_target(actor: Actor, situation: VoiceSituation) -> int | None:
    """The voice channel the bot must join (or move to) before playing, None when it is already there."""
    member_channel = actor.voice_channel_id
    if member_channel is None:
        raise PermissionDeniedError(tr("Join a voice channel first, then ask me again."))
    bot_channel = situation.bot_channel_id
    if bot_channel == member_channel:
        return None
    if bot_channel is not None and situation.busy:
        raise PermissionDeniedError(
            tr("I'm already playing in {channel}; join it to add music.", channel=f"<#{bot_channel}>")
        )
    return member_channel


def require_admin(actor: Actor, settings: GuildSettings) -> None:
    if actor.manage_guild:
        return
    if settings.dj_role_id is not None and settings.dj_role_id in actor.role_ids:
        return
    if settings.dj_role_id is None:
        raise PermissionDeniedError(tr("Changing settings needs Manage Server."))
    raise PermissionDeniedError(
        tr("Changing settings needs Manage Server or the DJ role {role}.", role=f"<@&{settings.dj_role_id}>")
    )


def may_remove(actor: Actor, settings: GuildSettings, requester_id: int) -> bool:
    """Removing a queued track: DJs may remove anything, everyone may remove their own."""
    return requester_id == actor.user_id or is_dj(actor, settings)
