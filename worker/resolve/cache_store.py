"""The resolve cache in Redis, shared by every worker: metadata, search results and short-lived stream URLs."""

from __future__ import annotations

import logging
from typing import Final

from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.models import WireModel
from shared.redis_typing import aw

_log: Final = logging.getLogger(__name__)


class ResolveCache:
    """Values under the cache keys of `shared.keys.Keys` (`resolved`, `stream`, `search_results`) with a TTL; a value
    that does not validate counts as a miss."""

    def __init__(self, redis: Redis) -> None:
        self._redis = redis

    async def get[M: WireModel](self, redis_key: str, model: type[M]) -> M | None:
        """The cached value, or None on a miss. The cache is best effort: Redis errors count as misses."""
        try:
            raw = await aw(self._redis.get(redis_key))
        except (RedisError, OSError) as err:
            _log.warning("resolve cache unavailable (%s): treating %s as a miss", err, redis_key)
            return None
        return model.stored(raw, redis_key)

    async def put(self, redis_key: str, value: WireModel, ttl_s: float) -> None:
        """Store with a TTL in milliseconds; a TTL below one millisecond stores nothing."""
        ttl_ms = int(ttl_s * 1000)
        if ttl_ms < 1:
            return
        try:
            await aw(self._redis.set(redis_key, value.model_dump_json(), px=ttl_ms))
        except (RedisError, OSError) as err:
            _log.warning("resolve cache unavailable (%s): %s not stored", err, redis_key)
