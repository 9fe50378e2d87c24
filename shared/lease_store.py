"""Per-guild ownership: a lease with a TTL whose every acquisition increments a fence token."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from redis.asyncio import Redis

from shared import lua
from shared.keys import Keys
from shared.redis_typing import aw

HANDOFF_MARK_MS: Final = 10_000
"""How long a graceful release marks the guild as handed off (the next owner claims it within a scan)."""


class RenewOutcome(IntEnum):
    LOST = 0
    """Somebody else holds the lease (or took it and let it lapse): stop at once."""
    RENEWED = 1
    RESTORED = 2
    """The lease had expired but nobody took it: it is ours again under the same fence."""


@dataclass(frozen=True, slots=True)
class Lease:
    guild_id: int
    owner: str
    fence: int
    after_handoff: bool = False
    """Acquired right after its last owner released it on a graceful stop (not after a lost owner's expiry)."""

    @property
    def value(self) -> str:
        return f"{self.owner}|{self.fence}"


class LeaseStore:
    """Acquire, renew and release guild leases; fences only ever grow."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys
        self._acquire = redis.register_script(lua.ACQUIRE)
        self._renew = redis.register_script(lua.RENEW)
        self._release = redis.register_script(lua.RELEASE)
        self._release_dead = redis.register_script(lua.RELEASE_DEAD)

    async def acquire(self, guild_id: int, owner: str, ttl_ms: int) -> Lease | None:
        """Take the lease if nobody holds it; the new fence is higher than any before."""
        if "|" in owner:
            raise ValueError("an owner id may not contain '|'")
        keys = [self._keys.lease(guild_id), self._keys.fence(guild_id), self._keys.handed_off(guild_id)]
        taken = await self._acquire(keys=keys, args=[owner, ttl_ms])
        if taken is None:
            return None
        token, handed_off = taken
        return Lease(guild_id, owner, int(token), after_handoff=bool(handed_off))

    async def renew(self, lease: Lease, ttl_ms: int) -> RenewOutcome:
        keys = [self._keys.lease(lease.guild_id), self._keys.fence(lease.guild_id)]
        outcome = await self._renew(keys=keys, args=[lease.value, ttl_ms, lease.fence])
        return RenewOutcome(int(outcome))

    async def renew_many(self, leases: list[Lease], ttl_ms: int) -> list[RenewOutcome]:
        """Renew every lease in one round trip (a worker renews all its guilds at once)."""
        async with self._redis.pipeline(transaction=False) as pipe:
            for lease in leases:
                keys = [self._keys.lease(lease.guild_id), self._keys.fence(lease.guild_id)]
                await self._renew(keys=keys, args=[lease.value, ttl_ms, lease.fence], client=pipe)
            outcomes = await pipe.execute()
        return [RenewOutcome(int(outcome)) for outcome in outcomes]

    async def release(self, lease: Lease, *, handoff: bool = False) -> bool:
        """Give the lease up; False if it was no longer ours. A `handoff` (a graceful stop) leaves a mark for
        `HANDOFF_MARK_MS` that the next acquisition reads, so the new owner knows the guild was handed over."""
        keys = [self._keys.lease(lease.guild_id), self._keys.handed_off(lease.guild_id)]
        mark_ms = HANDOFF_MARK_MS if handoff else 0
        return bool(await self._release(keys=keys, args=[lease.value, mark_ms]))

    async def release_dead(self, guild_id: int, owner: str) -> bool:
        """Free the guild's lease if `owner` holds it; only for an owner whose process is known to be gone (a live
        one would play on until its next renewal finds the lease lost)."""
        return bool(await self._release_dead(keys=[self._keys.lease(guild_id)], args=[owner]))

    async def held_by(self, guild_ids: list[int], owner: str) -> list[int]:
        """Those of `guild_ids` whose lease `owner` holds now, in one round trip (a pipeline, not MGET: the leases
        live in as many hash slots as guilds)."""
        if not guild_ids:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for guild_id in guild_ids:
                pipe.get(self._keys.lease(guild_id))
            values: list[bytes | None] = await pipe.execute()
        holder = f"{owner}|".encode()
        return [gid for gid, value in zip(guild_ids, values, strict=True) if value and value.startswith(holder)]

    async def holder(self, guild_id: int) -> Lease | None:
        raw = await aw(self._redis.get(self._keys.lease(guild_id)))
        if raw is None:
            return None
        owner, _, fence = raw.decode().rpartition("|")
        return Lease(guild_id, owner, int(fence)) if fence.isdigit() else None

    async def current_fence(self, guild_id: int) -> int:
        raw = await aw(self._redis.get(self._keys.fence(guild_id)))
        return int(raw or 0)
