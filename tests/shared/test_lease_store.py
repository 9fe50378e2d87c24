"""Leases and fences against a real redis-server: exclusivity, expiry, takeover, stale writers rejected."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from shared.keys import Keys
from shared.lease_store import Lease, LeaseStore, RenewOutcome
from shared.models import PlayerState
from shared.player_store import PlayerStore

GUILD = 222


async def test_only_one_of_many_contenders_gets_the_lease(redis_url: str, redis: Redis, keys: Keys) -> None:
    clients = [Redis.from_url(redis_url) for _ in range(8)]
    try:
        stores = [LeaseStore(client, keys) for client in clients]
        for _round in range(25):
            await redis.delete(keys.lease(GUILD))
            won = await asyncio.gather(*(s.acquire(GUILD, f"w{i}", 5000) for i, s in enumerate(stores)))
            winners = [lease for lease in won if lease is not None]
            assert len(winners) == 1
        fences = await LeaseStore(redis, keys).current_fence(GUILD)
        assert fences == 25
    finally:
        for client in clients:
            await client.aclose()


async def test_renew_keeps_and_release_hands_over(redis: Redis, keys: Keys) -> None:
    store = LeaseStore(redis, keys)
    lease = await store.acquire(GUILD, "a", 300)
    assert lease is not None
    for _ in range(5):
        await asyncio.sleep(0.1)
        assert await store.renew(lease, 300) is RenewOutcome.RENEWED
    assert await store.acquire(GUILD, "b", 300) is None
    assert await store.release(lease)
    taken = await store.acquire(GUILD, "b", 300)
    assert taken is not None and taken.fence == lease.fence + 1
    assert await store.renew(lease, 300) is RenewOutcome.LOST
    assert not await store.release(lease)


async def test_expired_lease_is_taken_over_and_the_old_owner_is_fenced_out(redis: Redis, keys: Keys) -> None:
    leases = LeaseStore(redis, keys)
    players = PlayerStore(redis, keys)
    old = await leases.acquire(GUILD, "old", 150)
    assert old is not None
    assert await players.save(GUILD, old.fence, PlayerState(position_ms=1000, fence=old.fence))
    await asyncio.sleep(0.25)  # the old owner is "paused": it misses its renewals
    new = await leases.acquire(GUILD, "new", 1000)
    assert new is not None and new.fence > old.fence
    assert await players.save(GUILD, new.fence, PlayerState(position_ms=2000, fence=new.fence))
    # the paused owner wakes up and tries to carry on
    assert await leases.renew(old, 150) is RenewOutcome.LOST
    assert not await players.save(GUILD, old.fence, PlayerState(position_ms=9999, fence=old.fence))
    transition = await players.advance(GUILD, old.fence, PlayerState(fence=old.fence))
    assert transition.fenced_out
    state = await players.load(GUILD)
    assert state is not None and state.position_ms == 2000


async def test_a_lapsed_lease_nobody_took_is_restored_under_the_same_fence(redis: Redis, keys: Keys) -> None:
    store = LeaseStore(redis, keys)
    lease = await store.acquire(GUILD, "a", 100)
    assert lease is not None
    await asyncio.sleep(0.2)
    assert await store.renew(lease, 1000) is RenewOutcome.RESTORED
    assert await store.holder(GUILD) == Lease(GUILD, "a", lease.fence)


async def test_renew_many_renews_each_lease_in_one_round_trip(redis: Redis, keys: Keys) -> None:
    store = LeaseStore(redis, keys)
    mine = [await store.acquire(guild_id, "w1", 1000) for guild_id in (1, 2, 3)]
    assert all(lease is not None for lease in mine)
    leases = [lease for lease in mine if lease is not None]
    await redis.delete(keys.lease(2))  # expired, nobody took it: restored
    await redis.set(keys.lease(3), "w2|99")  # taken over: lost
    outcomes = await store.renew_many(leases, 5000)
    assert outcomes == [RenewOutcome.RENEWED, RenewOutcome.RESTORED, RenewOutcome.LOST]
    assert await redis.pttl(keys.lease(1)) > 1000


async def test_a_dead_owners_lease_is_freed_only_if_it_holds_it_and_the_next_owner_fences_it_out(
    redis: Redis, keys: Keys
) -> None:
    store = LeaseStore(redis, keys)
    dead = await store.acquire(GUILD, "w1", 5000)
    other = await store.acquire(GUILD + 1, "w10", 5000)
    assert dead is not None and other is not None
    assert await store.held_by([GUILD, GUILD + 1, GUILD + 2], "w1") == [GUILD], "w10 is not w1"
    assert not await store.release_dead(GUILD + 1, "w1")
    assert not await store.release_dead(GUILD + 2, "w1"), "nobody holds it"
    assert await store.release_dead(GUILD, "w1")
    assert not await store.release_dead(GUILD, "w1"), "freed once"
    successor = await store.acquire(GUILD, "w2", 5000)
    assert successor is not None and successor.fence > dead.fence
    assert await store.renew(dead, 5000) is RenewOutcome.LOST
    assert not await store.release_dead(GUILD, "w1"), "the new owner's lease is not the dead one's"
    assert await store.holder(GUILD) == successor
