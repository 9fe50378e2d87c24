"""Which guilds need a player (the gateway marks them, the owner unmarks them when it goes idle)."""

from __future__ import annotations

import time

from redis.asyncio import Redis

from shared.keys import Keys
from shared.redis_typing import aw


class ActiveGuildStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def mark(self, guild_id: int) -> None:
        """Ask for a player; a guild that was not active is announced to the workers, which claim it at once
        instead of on their next scan (the hint is only that: a worker that misses it finds the guild by scanning)."""
        added = await aw(self._redis.zadd(self._keys.active_guilds(), {str(guild_id): time.time()}, nx=True))
        if added:
            await aw(self._redis.publish(self._keys.handoffs(), str(guild_id)))

    async def unmark(self, guild_id: int) -> None:
        await aw(self._redis.zrem(self._keys.active_guilds(), str(guild_id)))

    async def is_active(self, guild_id: int) -> bool:
        return await aw(self._redis.zscore(self._keys.active_guilds(), str(guild_id))) is not None

    async def all(self) -> list[int]:
        members = await aw(self._redis.zrange(self._keys.active_guilds(), 0, -1))
        return [int(member) for member in members if member.isdigit()]
