"""Vote skip: the pure rule (who skips at once, who may vote, how many votes) and the atomic count in Redis."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from gateway.commands.permissions import Actor
from gateway.commands.voting import Ballot, skips_at_once, threshold, votes_needed
from gateway.stores.votes import VOTE_TTL_MS, SkipVoteStore, VoteCount, VoteOutcome
from gateway.wording import votes as wording
from shared.errors import InvalidInputError, PermissionDeniedError
from shared.keys import Keys
from shared.models import GuildSettings

DJ = 900
CHANNEL = 10
REQUESTER = 50
HALF = GuildSettings()
OFF = GuildSettings(vote_skip_percent=0)


def actor(user_id: int = 1, *, voice: int | None = CHANNEL, roles: tuple[int, ...] = (), manage: bool = False) -> Actor:
    return Actor(user_id=user_id, role_ids=frozenset(roles), manage_guild=manage, voice_channel_id=voice)


def ballot(who: Actor, listeners: tuple[int, ...] = (1, 2, 3), *, count: int = 1, bot: int | None = CHANNEL) -> Ballot:
    return Ballot(who, REQUESTER, count, frozenset(listeners), bot)


@pytest.mark.parametrize(
    ("listeners", "percent", "needed"),
    [(1, 50, 1), (2, 50, 1), (3, 50, 2), (4, 50, 2), (5, 50, 3), (3, 100, 3), (3, 1, 1), (10, 34, 4), (99, 67, 67)],
)
def test_threshold_is_the_ceiling_of_the_share_and_at_least_one(listeners: int, percent: int, needed: int) -> None:
    assert threshold(listeners, percent) == needed


def test_a_listener_votes_against_the_threshold() -> None:
    assert votes_needed(ballot(actor()), HALF) == 2
    assert votes_needed(ballot(actor(), (1,)), HALF) == 1
    assert votes_needed(ballot(actor(), (1, 2, 3, 4, 5)), GuildSettings(vote_skip_percent=100)) == 5


def test_off_the_requester_and_djs_skip_at_once() -> None:
    assert votes_needed(ballot(actor()), OFF) is None
    assert votes_needed(ballot(actor(), count=5), OFF) is None
    assert votes_needed(ballot(actor(REQUESTER)), HALF) is None
    assert votes_needed(ballot(actor(manage=True, voice=None), ()), HALF) is None
    with_dj = GuildSettings(dj_role_id=DJ)
    assert votes_needed(ballot(actor(roles=(DJ,)), count=3), with_dj) is None
    assert votes_needed(ballot(actor(roles=(DJ,))), HALF) == 2, "a role is a DJ role only once it is set"
    assert not skips_at_once(actor(), HALF, REQUESTER), "no DJ role set does not make everyone a DJ here"


def test_votes_skip_one_track_only() -> None:
    with pytest.raises(InvalidInputError, match="only the current track"):
        votes_needed(ballot(actor(), count=2), HALF)
    with pytest.raises(InvalidInputError, match="only the current track"):
        votes_needed(ballot(actor(REQUESTER), count=2), HALF)


def test_only_listeners_vote() -> None:
    with pytest.raises(PermissionDeniedError, match=f"Join <#{CHANNEL}> to vote"):
        votes_needed(ballot(actor(9, voice=None)), HALF)
    with pytest.raises(PermissionDeniedError, match="deafened"):
        votes_needed(ballot(actor(9)), HALF)
    with pytest.raises(PermissionDeniedError, match="not in a voice channel"):
        votes_needed(ballot(actor(), (), bot=None), HALF)


def test_the_tally_wording() -> None:
    assert wording.tally(2, 3) == "2 of 3 votes — 1 more needed"
    assert wording.tally(1, 1) == "1 of 1 vote"
    assert wording.tally(3, 2) == "3 of 2 votes"


GUILD = 1 << 41


async def test_votes_count_once_per_member_and_only_of_listeners(redis: Redis, keys: Keys) -> None:
    store = SkipVoteStore(redis, keys)
    assert await store.vote(GUILD, "a", 1, {1, 2, 3}, 2) == VoteCount(VoteOutcome.COUNTED, 1)
    assert await store.vote(GUILD, "a", 1, {1, 2, 3}, 2) == VoteCount(VoteOutcome.ALREADY_VOTED, 1)
    # 1 left the channel: its vote no longer counts, so 2's vote is the first that does.
    assert await store.vote(GUILD, "a", 2, {2, 3}, 1) == VoteCount(VoteOutcome.PASSED, 1)
    assert await store.vote(GUILD, "a", 3, {2, 3}, 1) == VoteCount(VoteOutcome.PASSED_BEFORE, 2)
    assert await store.vote(GUILD, "b", 3, {2, 3}, 2) == VoteCount(VoteOutcome.COUNTED, 1), "another item starts afresh"
    ttl = await redis.pttl(keys.skip_votes(GUILD, "b"))
    assert 0 < ttl <= VOTE_TTL_MS


async def test_a_vote_passes_exactly_once_when_votes_arrive_together(redis: Redis, keys: Keys) -> None:
    listeners = set(range(1, 41))
    store = SkipVoteStore(redis, keys)
    results = await asyncio.gather(*(store.vote(GUILD, "c", user, listeners, 20) for user in listeners))
    outcomes = [result.outcome for result in results]
    assert outcomes.count(VoteOutcome.PASSED) == 1
    assert outcomes.count(VoteOutcome.COUNTED) == 19
    assert outcomes.count(VoteOutcome.PASSED_BEFORE) == 20
    assert sorted(result.votes for result in results) == list(range(1, 41))
