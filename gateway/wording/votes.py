"""What members read about vote skip."""

from __future__ import annotations

from gateway.wording import formatting
from gateway.wording.language import number, tr, trn
from shared.models import Track


def tally(votes: int, needed: int) -> str:
    """ "2 of 3 votes — 1 more needed"."""
    text = trn("{votes} of {count} vote", "{votes} of {count} votes", needed, votes=number(votes))
    missing = needed - votes
    return tr("{tally} — {missing} more needed", tally=text, missing=number(missing)) if missing > 0 else text


def counted(track: Track, votes: int, needed: int) -> str:
    return tr("🗳 Vote to skip {track}: {tally}.", track=formatting.track_link(track), tally=tally(votes, needed))


def passed(track: Track, votes: int, needed: int) -> str:
    return tr(
        "⏭ Vote passed ({tally}): skipped {track}.", tally=tally(votes, needed), track=formatting.track_link(track)
    )


def passed_before(track: Track) -> str:
    return tr("⏭ The vote to skip {track} has passed already.", track=formatting.track_link(track))


def already_voted(votes: int, needed: int) -> str:
    return tr("You already voted to skip this track ({tally}).", tally=tally(votes, needed))


def deafened() -> str:
    return tr("You're deafened, so you don't count as a listener: undeafen to vote to skip.")


def not_listening(bot_channel_id: int | None) -> str:
    if bot_channel_id is None:
        return tr("I'm not in a voice channel, so there is nobody to vote with.")
    return tr("Join {channel} to vote to skip.", channel=f"<#{bot_channel_id}>")


def several() -> str:
    return tr("Votes skip only the current track: skipping several needs the DJ role or Manage Server.")
