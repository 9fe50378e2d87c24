"""Votes to skip the now-playing item: one Redis SET per guild and item, counted and decided in one script."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from redis.asyncio import Redis

from shared import lua
from shared.keys import Keys

VOTE_TTL_MS: Final = 6 * 3600 * 1000
"""Votes are forgotten this long after the latest one: the uid in the key already resets them on a track change;
the TTL only clears the sets of tracks that ended."""
PASSED: Final = "passed"
"""The marker member added once a vote passed (members are user ids, so it cannot collide)."""


class VoteOutcome(IntEnum):
    COUNTED = 0
    ALREADY_VOTED = 1
    PASSED = 2
    """This vote reached the threshold: its caller issues the skip (exactly one caller per item gets this)."""
    PASSED_BEFORE = 3
    """The vote had passed already (another vote issued the skip)."""


@dataclass(frozen=True, slots=True)
class VoteCount:
    outcome: VoteOutcome
    votes: int
    """Votes of current listeners, this one included."""


class SkipVoteStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._keys = keys
        self._vote = redis.register_script(lua.SKIP_VOTE)

    async def vote(
        self, guild_id: int, item_uid: str, voter_id: int, listeners: Collection[int], needed: int
    ) -> VoteCount:
        """Record `voter_id`'s vote and count the votes of `listeners` against `needed`."""
        key = self._keys.skip_votes(guild_id, item_uid)
        args: list[int | str] = [voter_id, needed, VOTE_TTL_MS, PASSED, *sorted(listeners)]
        outcome, votes = await self._vote(keys=[key], args=args)
        return VoteCount(VoteOutcome(int(outcome)), int(votes))
