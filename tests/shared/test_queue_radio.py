"""The queue scripts and autoplayed items, against a real redis-server: members' items go before the radio's, the
radio's refill is fenced and counts against no member's share, `/autoplay off` takes the radio's items out."""

from __future__ import annotations

import uuid

import pytest
from redis.asyncio import Redis

from shared.keys import Keys
from shared.models import InsertPosition, PlayerState, QueueItem
from shared.player_store import PlayerStore, Retire
from shared.queue_store import QueueLimits, QueueStore
from tests.factories import make_item, titles

GUILD = 112
ROOMY = QueueLimits(max_length=10_000, max_per_user=10_000)


def radio(n: int, requester_id: int = 1) -> QueueItem:
    return make_item(n, requester_id=requester_id).model_copy(update={"autoplay": True})


async def _fence(redis: Redis, keys: Keys) -> int:
    return int(await redis.incr(keys.fence(GUILD)))


async def test_a_members_play_goes_before_the_autoplayed_items(redis: Redis, keys: Keys) -> None:
    store = QueueStore(redis, keys)
    fence = await _fence(redis, keys)
    await store.append(GUILD, [make_item(1)], limits=ROOMY)
    assert await store.append_radio(GUILD, fence, [radio(50), radio(51)], max_length=100) == 2
    await store.append(GUILD, [make_item(2), make_item(3)], limits=ROOMY)
    rid = uuid.uuid4().hex
    await store.append(GUILD, [make_item(4)], limits=ROOMY, request_id=rid, chunk_index=0)
    await store.append(GUILD, [make_item(5)], limits=ROOMY, request_id=rid, chunk_index=1)
    expected = ["track 1", "track 2", "track 3", "track 4", "track 5", "track 50", "track 51"]
    assert titles(await store.all_items(GUILD)) == expected
    await store.append(GUILD, [make_item(6)], limits=ROOMY, position=InsertPosition.NEXT)
    assert titles(await store.all_items(GUILD))[:2] == ["track 6", "track 1"]


async def test_a_play_into_a_queue_of_only_autoplayed_items_plays_next(redis: Redis, keys: Keys) -> None:
    store = QueueStore(redis, keys)
    await store.append_radio(GUILD, await _fence(redis, keys), [radio(50), radio(51), radio(52)], max_length=100)
    await store.append(GUILD, [make_item(1)], limits=ROOMY)
    assert titles(await store.all_items(GUILD)) == ["track 1", "track 50", "track 51", "track 52"]


async def test_the_radios_items_count_against_no_members_share(redis: Redis, keys: Keys) -> None:
    store, players = QueueStore(redis, keys), PlayerStore(redis, keys)
    fence = await _fence(redis, keys)
    await store.append(GUILD, [make_item(1, requester_id=7)], limits=ROOMY)
    await store.append_radio(GUILD, fence, [radio(50, requester_id=7), radio(51, requester_id=7)], max_length=100)
    await store.append(GUILD, [make_item(2, requester_id=7)], limits=ROOMY)
    assert await store.user_count(GUILD, 7) == 2
    await store.move(GUILD, 2, 0)  # an autoplayed item first: playing it leaves the member's count alone
    await players.advance(GUILD, fence, PlayerState(fence=fence), retire=Retire.HISTORY)
    assert await store.user_count(GUILD, 7) == 2
    for _ in range(3):
        await players.advance(GUILD, fence, PlayerState(fence=fence), retire=Retire.HISTORY)
    assert await store.user_count(GUILD, 7) == 0
    assert await store.length(GUILD) == 0


async def test_the_refill_is_fenced_marked_only_and_within_the_queue_limit(redis: Redis, keys: Keys) -> None:
    store = QueueStore(redis, keys)
    stale = await _fence(redis, keys)
    fence = await _fence(redis, keys)
    assert await store.append_radio(GUILD, stale, [radio(50)], max_length=100) is None
    assert await store.length(GUILD) == 0
    await store.append(GUILD, [make_item(n) for n in range(3)], limits=ROOMY)
    assert await store.append_radio(GUILD, fence, [radio(50), radio(51), radio(52)], max_length=4) == 1
    with pytest.raises(ValueError, match="autoplayed"):
        await store.append_radio(GUILD, fence, [make_item(9)], max_length=100)
    assert titles(await store.all_items(GUILD)) == ["track 0", "track 1", "track 2", "track 50"]


async def test_remove_radio_keeps_the_members_items_in_order(redis: Redis, keys: Keys) -> None:
    store = QueueStore(redis, keys)
    fence = await _fence(redis, keys)
    await store.append(GUILD, [make_item(1), make_item(2)], limits=ROOMY)
    await store.append_radio(GUILD, fence, [radio(50), radio(51)], max_length=100)
    await store.move(GUILD, 3, 0)  # a member moved an autoplayed item to the front
    assert await store.remove_radio(GUILD) == 2
    assert titles(await store.all_items(GUILD)) == ["track 1", "track 2"]
    assert await store.remove_radio(GUILD) == 0
    assert await store.user_count(GUILD, 1) == 2
