"""Vote skip: who skips at once, who may vote, and how many votes skip a track. Pure rules.

- With vote skip off (`vote_skip_percent` 0) every `/skip` skips at once, as before vote skip existed.
- Members with Manage Server and holders of the DJ role skip at once (one track or several), and so does the
  track's requester (that track only). Unlike the other commands, "no DJ role set" does not make everyone a DJ
  here: that would leave nobody to vote. Votes skip one track, never several.
- Everyone else votes. Listeners are the humans in the bot's voice channel who can hear it: bots (encore
  included) and deafened members (deafened by themselves or by a moderator) do not count, as in Red's and
  Vocard's vote skips: a member who cannot hear the track has no say in skipping it. Only listeners may vote, and
  only the votes of members who still listen count.
- A track is skipped once ceil(percent × listeners / 100) listeners (at least one) voted for it. Votes belong to
  one now-playing item and start from none when the track changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.commands.permissions import Actor
from gateway.wording import votes as wording
from shared.errors import InvalidInputError, PermissionDeniedError
from shared.models import GuildSettings


def skips_at_once(actor: Actor, settings: GuildSettings, requester_id: int, count: int = 1) -> bool:
    if settings.vote_skip_percent == 0 or actor.manage_guild:
        return True
    if settings.dj_role_id is not None and settings.dj_role_id in actor.role_ids:
        return True
    return count == 1 and actor.user_id == requester_id


def threshold(listener_count: int, percent: int) -> int:
    """Votes that skip a track among `listener_count` listeners (at least one)."""
    return max(1, -(-listener_count * percent // 100))


@dataclass(frozen=True, slots=True)
class Ballot:
    """Who asks to skip how many tracks of whose, and who listens."""

    actor: Actor
    requester_id: int
    count: int
    listeners: frozenset[int]
    bot_channel_id: int | None


def votes_needed(ballot: Ballot, settings: GuildSettings) -> int | None:
    """None when the skip needs no vote; otherwise the votes needed, after checking that the member may vote."""
    actor = ballot.actor
    if skips_at_once(actor, settings, ballot.requester_id, ballot.count):
        return None
    if ballot.count != 1:
        raise InvalidInputError(wording.several())
    listeners, bot_channel_id = ballot.listeners, ballot.bot_channel_id
    if actor.user_id not in listeners:
        in_channel = bot_channel_id is not None and actor.voice_channel_id == bot_channel_id
        raise PermissionDeniedError(wording.deafened() if in_channel else wording.not_listening(bot_channel_id))
    return threshold(len(listeners), settings.vote_skip_percent)
