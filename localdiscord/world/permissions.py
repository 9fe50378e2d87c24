"""Discord's permission arithmetic: a member's permissions in a guild and in one of its channels.

Computed as Discord documents it ("Permissions: Permission Overwrites"): the base is @everyone's permissions OR
the member's roles'; the owner and ADMINISTRATOR have everything; in a channel, the @everyone overwrite applies
first (deny, then allow), then all of the member's role overwrites together, then the member's own overwrite;
without VIEW_CHANNEL there, nothing is allowed in the channel. Overwrites are not synced from a category here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from localdiscord.world.models import Channel, Guild, Overwrite

ADMINISTRATOR: Final = 1 << 3
MANAGE_CHANNELS: Final = 1 << 4
VIEW_CHANNEL: Final = 1 << 10
CONNECT: Final = 1 << 20
SET_VOICE_CHANNEL_STATUS: Final = 1 << 48
"""Undocumented (Discord keeps it out of the docs as not yet stable); bots have been able to use it since 2023."""
ALL: Final = (1 << 53) - 1


@dataclass(frozen=True, slots=True)
class Permissions:
    """What one member may do in one guild, and in its channels."""

    guild: Guild
    user_id: int

    def base(self) -> int:
        if self.user_id == self.guild.owner_id:
            return ALL
        everyone = self.guild.roles.get(self.guild.id)
        value = everyone.permissions if everyone is not None else 0
        member = self.guild.members.get(self.user_id)
        for role_id in member.roles if member is not None else ():
            role = self.guild.roles.get(role_id)
            if role is not None:
                value |= role.permissions
        return ALL if value & ADMINISTRATOR else value

    def in_channel(self, channel: Channel) -> int:
        value = self.base()
        if value & ADMINISTRATOR or value == ALL:
            return ALL
        by_target = {(o.type, o.id): o for o in channel.overwrites}
        value = _apply(value, by_target.get((Overwrite.ROLE, self.guild.id)))
        member = self.guild.members.get(self.user_id)
        roles = [by_target.get((Overwrite.ROLE, r)) for r in (member.roles if member is not None else ())]
        allow = deny = 0
        for overwrite in roles:
            if overwrite is not None:
                allow, deny = allow | overwrite.allow, deny | overwrite.deny
        value = (value & ~deny) | allow
        value = _apply(value, by_target.get((Overwrite.MEMBER, self.user_id)))
        return value if value & VIEW_CHANNEL else 0  # a channel one cannot see allows nothing


def _apply(value: int, overwrite: Overwrite | None) -> int:
    if overwrite is None:
        return value
    return (value & ~overwrite.deny) | overwrite.allow
