"""Closes redis-py 5's `Awaitable[T] | T` typing hole in one place."""

from __future__ import annotations

from collections.abc import Awaitable

from redis.asyncio import Redis


async def aw[T](value: Awaitable[T] | T) -> T:
    """Await a redis-py asyncio call whose stub says it may not be awaitable."""
    assert isinstance(value, Awaitable)
    return await value


__all__ = ["Redis", "aw"]
