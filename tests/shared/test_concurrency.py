"""Many clients hammering one guild at once: nothing lost, nothing duplicated, limits and order hold."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass, field

from redis.asyncio import Redis

from shared.keys import Keys
from shared.lease_store import LeaseStore
from shared.models import PlayerState, QueueItem
from shared.player_store import PlayerStore
from shared.queue_store import QueueLimits, QueueStore
from shared.redis_typing import aw
from tests.factories import make_item

GUILD = 444
CLIENTS = 8
OPERATIONS = 500
LIMITS = QueueLimits(max_length=150, max_per_user=60)
USERS = 3


@dataclass
class Ledger:
    """What each client did, to check the final queue against."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    order: dict[int, list[str]] = field(default_factory=dict)


async def _client(store: QueueStore, client: int, ledger: Ledger, reorder: bool) -> None:
    rng = random.Random(client)
    mine = ledger.order.setdefault(client, [])
    for n in range(OPERATIONS):
        roll = rng.random()
        if roll < 0.55:
            batch = [make_item(n, requester_id=client % USERS + 1) for _ in range(rng.randint(1, 3))]
            result = await store.append(GUILD, batch, limits=LIMITS)
            ledger.added += [item.uid for item in batch[: result.appended]]
            mine += [item.uid for item in batch[: result.appended]]
        elif roll < 0.75:
            removed = await store.remove_at(GUILD, rng.randint(0, 20))
            if removed is not None:
                ledger.removed.append(removed.uid)
        elif roll < 0.85 and mine:
            found = await store.remove_uid(GUILD, rng.choice(mine))
            if found is not None:
                ledger.removed.append(found[1].uid)
        elif reorder and roll < 0.95:
            await store.move(GUILD, rng.randint(0, 30), rng.randint(0, 30))
        elif reorder:
            await store.shuffle(GUILD, rng)
        else:
            await store.page(GUILD, rng.randint(0, 50), 10)
    await _fill(store, client, ledger)


async def _fill(store: QueueStore, client: int, ledger: Ledger) -> None:
    """All clients race to fill the queue to its limits: the limits must hold exactly."""
    for n in range(LIMITS.max_length):
        batch = [make_item(n, requester_id=client % USERS + 1)]
        result = await store.append(GUILD, batch, limits=LIMITS)
        ledger.added += [item.uid for item in batch[: result.appended]]
        ledger.order[client] += [item.uid for item in batch[: result.appended]]
        if result.limited_by is not None:
            return


async def _hammer(redis_url: str, keys: Keys, reorder: bool) -> tuple[Ledger, list[QueueItem], dict[bytes, bytes]]:
    ledger = Ledger()
    clients = [Redis.from_url(redis_url) for _ in range(CLIENTS)]
    try:
        stores = [QueueStore(client, keys) for client in clients]
        await asyncio.gather(*(_client(s, i, ledger, reorder) for i, s in enumerate(stores)))
        final = await stores[0].all_items(GUILD)
        shares: dict[bytes, bytes] = await aw(clients[0].hgetall(keys.shares(GUILD)))
    finally:
        for client in clients:
            await client.aclose()
    return ledger, final, shares


def _check_accounting(ledger: Ledger, items: list[QueueItem], shares: dict[bytes, bytes]) -> None:
    final = [item.uid for item in items]
    assert len(final) == len(set(final)), "an item is in the queue twice"
    assert len(ledger.removed) == len(set(ledger.removed)), "an item was removed twice"
    assert Counter(final) == Counter(ledger.added) - Counter(ledger.removed), "an item was lost or invented"
    assert len(final) <= LIMITS.max_length
    per_user = Counter(item.requester_id for item in items)
    assert per_user == Counter({int(k): int(v) for k, v in shares.items()}), "per-user shares drifted from the queue"
    assert max(per_user.values(), default=0) <= LIMITS.max_per_user, "a member got more than their share"


async def test_concurrent_appends_and_removals_keep_order_and_limits(redis_url: str, redis: Redis, keys: Keys) -> None:
    ledger, final, shares = await _hammer(redis_url, keys, reorder=False)
    _check_accounting(ledger, final, shares)
    position = {item.uid: i for i, item in enumerate(final)}
    for client, uids in ledger.order.items():
        kept = [position[uid] for uid in uids if uid in position]
        assert kept == sorted(kept), f"client {client}'s items are out of order"


async def test_concurrent_moves_and_shuffles_lose_nothing(redis_url: str, redis: Redis, keys: Keys) -> None:
    ledger, final, shares = await _hammer(redis_url, keys, reorder=True)
    _check_accounting(ledger, final, shares)


async def test_owner_advancing_while_clients_append_loses_nothing(redis_url: str, redis: Redis, keys: Keys) -> None:
    lease = await LeaseStore(redis, keys).acquire(GUILD, "owner", 60_000)
    assert lease is not None
    players = PlayerStore(redis, keys)
    appended: list[str] = []
    played: list[str] = []

    async def feed(client: Redis) -> None:
        store = QueueStore(client, keys)
        for n in range(200):
            item = make_item(n)
            if (await store.append(GUILD, [item], limits=QueueLimits(10_000, 10_000))).appended:
                appended.append(item.uid)

    async def play() -> None:
        state = PlayerState(fence=lease.fence)
        for _ in range(900):
            transition = await players.advance(GUILD, lease.fence, state)
            if transition.item is not None:
                played.append(transition.item.uid)
            state = state.model_copy(update={"now_playing": transition.item})

    clients = [Redis.from_url(redis_url) for _ in range(4)]
    try:
        await asyncio.gather(play(), *(feed(c) for c in clients))
    finally:
        for client in clients:
            await client.aclose()
    left = [item.uid for item in await QueueStore(redis, keys).all_items(GUILD)]
    assert len(played) == len(set(played))
    assert Counter(played + left) == Counter(appended)
