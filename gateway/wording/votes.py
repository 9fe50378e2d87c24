"""What members read about vote skip."""

from __future__ import annotations

from gateway.wording import formatting
from shared.models import Track


def tally(votes: int, needed: int) -> str:
    """ "2 of 3 votes — 1 more needed"."""
    text = f"{votes} of {needed} {'vote' if needed == 1 else 'votes'}"
    missing = needed - votes
    return f"{text} — {missing} more needed" if missing > 0 else text


def counted(track: Track, votes: int, needed: int) -> str:
    return f"🗳 Vote to skip {formatting.track_link(track)}: {tally(votes, needed)}."


def passed(track: Track, votes: int, needed: int) -> str:
    return f"⏭ Vote passed ({tally(votes, needed)}): skipped {formatting.track_link(track)}."


def passed_before(track: Track) -> str:
    return f"⏭ The vote to skip {formatting.track_link(track)} has passed already."


def already_voted(votes: int, needed: int) -> str:
    return f"You already voted to skip this track ({tally(votes, needed)})."


def deafened() -> str:
    return "You're deafened, so you don't count as a listener: undeafen to vote to skip."


def not_listening(bot_channel_id: int | None) -> str:
    if bot_channel_id is None:
        return "I'm not in a voice channel, so there is nobody to vote with."
    return f"Join <#{bot_channel_id}> to vote to skip."


def several() -> str:
    return "Votes skip only the current track: skipping several needs the DJ role or Manage Server."
