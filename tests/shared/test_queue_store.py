"""QueueStore against a real redis-server: every operation, limits, chunk idempotency, corrupt data."""

from __future__ import annotations

import random
import uuid

from redis.asyncio import Redis

from shared.keys import Keys
from shared.models import InsertPosition
from shared.queue_store import QueueLimits, QueueStore
from shared.redis_typing import aw
from tests.factories import make_item, titles

GUILD = 111
ROOMY = QueueLimits(max_length=10_000, max_per_user=10_000)


async def test_append_end_keeps_order_and_pages(redis: Redis, keys: Keys) -> None:
    store = QueueStore(redis, keys)
    result = await store.append(GUILD, [make_item(n) for n in range(25)], limits=ROOMY)
    assert (result.appended, result.duplicate, result.limited_by, result.queue_length) == (25, False, None, 25)
    page = await store.page(GUILD, offset=10, limit=10)
    assert titles(page.items) == [f"track {n}" for n in range(10, 20)]
    assert page.total == 25
    assert await store.user_count(GUILD, 1) == 25


async def test_next_and_now_insert_at_front_in_order(redis: Redis, keys: Keys) -> None:
    store = QueueStore(redis, keys)
    await store.append(GUILD, [make_item(n) for n in range(3)], limits=ROOMY)
    await store.append(GUILD, [make_item(10), make_item(11)], limits=ROOMY, position=InsertPosition.NEXT)
    assert titles(await store.all_items(GUILD)) == ["track 10", "track 11", "track 0", "track 1", "track 2"]


async def test_chunks_are_idempotent_and_next_chunks_follow_each_other(redis: Redis, keys: Keys) -> None:
    store = QueueStore(redis, keys)
    await store.append(GUILD, [make_item(n) for n in range(3)], limits=ROOMY)
    rid = uuid.uuid4().hex
    chunk0 = [make_item(100 + n) for n in range(2)]
    chunk1 = [make_item(200 + n) for n in range(2)]
    first = await store.append(GUILD, chunk0, limits=ROOMY, position=InsertPosition.NEXT, request_id=rid, chunk_index=0)
    again = await store.append(GUILD, chunk0, limits=ROOMY, position=InsertPosition.NEXT, request_id=rid, chunk_index=0)
    early = await store.append(GUILD, chunk1, limits=ROOMY, position=InsertPosition.NEXT, request_id=rid, chunk_index=2)
    second = await store.append(
        GUILD, chunk1, limits=ROOMY, position=InsertPosition.NEXT, request_id=rid, chunk_index=1
    )
    assert (first.appended, again.duplicate, early.duplicate, second.appended) == (2, True, True, 2)
    expected = ["track 100", "track 101", "track 200", "track 201", "track 0", "track 1", "track 2"]
    assert titles(await store.all_items(GUILD)) == expected


async def test_limits_cut_an_append_and_say_why(redis: Redis, keys: Keys) -> None:
    store = QueueStore(redis, keys)
    limits = QueueLimits(max_length=10, max_per_user=4)
    mine = await store.append(GUILD, [make_item(n, requester_id=7) for n in range(6)], limits=limits)
    assert (mine.appended, mine.limited_by) == (4, "user_share")
    theirs = await store.append(GUILD, [make_item(n, requester_id=8) for n in range(4)], limits=limits)
    assert (theirs.appended, theirs.limited_by) == (4, None)
    third = await store.append(GUILD, [make_item(n, requester_id=9) for n in range(4)], limits=limits)
    assert (third.appended, third.limited_by, third.queue_length) == (2, "queue", 10)


async def test_remove_move_and_shares(redis: Redis, keys: Keys) -> None:
    store = QueueStore(redis, keys)
    items = [make_item(n, requester_id=1 + n % 2) for n in range(6)]
    await store.append(GUILD, [i for i in items if i.requester_id == 1], limits=ROOMY)
    await store.append(GUILD, [i for i in items if i.requester_id == 2], limits=ROOMY)
    # queue: 0 2 4 1 3 5
    removed = await store.remove_at(GUILD, 1)
    assert removed is not None and removed.track.title == "track 2"
    assert await store.user_count(GUILD, 1) == 2
    found = await store.remove_uid(GUILD, items[5].uid)
    assert found is not None and found[0] == 4
    moved = await store.move(GUILD, 2, 0)
    assert moved is not None and moved.track.title == "track 1"
    assert titles(await store.all_items(GUILD)) == ["track 1", "track 0", "track 4", "track 3"]
    assert await store.move(GUILD, 0, 99) is not None
    assert titles(await store.all_items(GUILD))[-1] == "track 1"
    assert await store.remove_at(GUILD, 50) is None
    assert await store.remove_uid(GUILD, uuid.uuid4().hex) is None


async def test_shuffle_is_a_permutation_and_clear_empties(redis: Redis, keys: Keys) -> None:
    store = QueueStore(redis, keys)
    items = [make_item(n) for n in range(50)]
    await store.append(GUILD, items, limits=ROOMY)
    assert await store.shuffle(GUILD, random.Random(4)) == 50
    shuffled = await store.all_items(GUILD)
    assert sorted(i.uid for i in shuffled) == sorted(i.uid for i in items)
    assert [i.uid for i in shuffled] != [i.uid for i in items]
    assert await store.clear(GUILD) == 50
    assert await store.length(GUILD) == 0
    assert await store.user_count(GUILD, 1) == 0


async def test_corrupt_items_are_skipped_not_fatal(redis: Redis, keys: Keys) -> None:
    store = QueueStore(redis, keys)
    await store.append(GUILD, [make_item(1)], limits=ROOMY)
    await aw(redis.rpush(keys.queue(GUILD), b'{"uid": "old-format", "url": "x"}', b"\xff\xfe not json"))
    await store.append(GUILD, [make_item(2)], limits=ROOMY)
    page = await store.page(GUILD)
    assert titles(page.items) == ["track 1", "track 2"]
    assert page.total == 4
