"""The per-member command rate limit: a Redis counter that expires with its window."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

from shared import lua
from shared.keys import Keys


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    count: int
    retry_after_ms: int


class RateLimitStore:
    """Fixed windows: the first command starts the window, every command counts, at most `limit` are allowed."""

    def __init__(self, redis: Redis, keys: Keys, *, limit: int, window_s: float) -> None:
        self._keys = keys
        self._limit = limit
        self._window_ms = max(1, round(window_s * 1000))
        self._hit = redis.register_script(lua.RATE_HIT)

    async def hit(self, guild_id: int, user_id: int) -> RateDecision:
        count, ttl = await self._hit(keys=[self._keys.rate(guild_id, user_id)], args=[self._window_ms])
        allowed = int(count) <= self._limit
        return RateDecision(allowed, int(count), 0 if allowed else max(0, int(ttl)))
