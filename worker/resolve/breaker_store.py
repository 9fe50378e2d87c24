"""Circuit breakers of the search providers, in Redis so that every worker skips a provider that blocks them.

A provider opens after `threshold` blocks (bot check, sign-in, PO token, 403, geo-block, rate limit) within
`window_ms`; while open the chain passes it over. When `cooldown_ms` is over, exactly one search (across all
workers) probes it: a result closes the breaker, another block reopens it for a whole cool-down. Failures that are
not blocks (a network error, a missing item) never count: they say nothing about the provider refusing encore.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Final

from redis.asyncio import Redis

from shared import lua
from shared.clock import now_ms
from shared.keys import Keys

PROBE_MS: Final = 60_000
"""How long one probe may take before another search may probe instead (twice yt-dlp's call timeout)."""


class Gate(IntEnum):
    """What `BreakerStore.allow` answers."""

    CLOSED = 0
    OPEN = 1
    PROBE = 2
    """The cool-down is over and this caller tests the provider (others still skip it)."""


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    threshold: int
    window_ms: int
    cooldown_ms: int


class BreakerStore:
    def __init__(self, redis: Redis, keys: Keys, policy: BreakerPolicy, clock: Callable[[], int] = now_ms) -> None:
        self._redis = redis
        self._keys = keys
        self._policy = policy
        self._clock = clock
        self._allow = redis.register_script(lua.BREAKER_ALLOW)
        self._blocked = redis.register_script(lua.BREAKER_BLOCKED)

    async def allow(self, provider: str) -> Gate:
        answer = await self._allow(keys=[self._keys.provider_breaker(provider)], args=[self._clock(), PROBE_MS])
        return Gate(int(answer))

    async def blocked(self, provider: str) -> bool:
        """Count a block; True when the breaker is (now) open."""
        policy = self._policy
        args = [self._clock(), policy.threshold, policy.window_ms, policy.cooldown_ms]
        return int(await self._blocked(keys=[self._keys.provider_breaker(provider)], args=args)) > 0

    async def succeeded(self, provider: str) -> None:
        """The provider answered: close its breaker and forget its blocks."""
        await self._redis.delete(self._keys.provider_breaker(provider))
