"""The resolve cache in Redis, shared by every worker: metadata, search results and short-lived stream URLs."""

from __future__ import annotations

import hashlib
import logging
from typing import Final

from pydantic import ValidationError
from redis.asyncio import Redis

from shared.keys import Keys
from shared.models import WireModel
from shared.redis_typing import aw

_log: Final = logging.getLogger(__name__)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


class ResolveCache:
    """Values under `keys.cache(kind, sha256(key))` with a TTL; a value that does not validate counts as a miss."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def get[M: WireModel](self, kind: str, key: str, model: type[M]) -> M | None:
        redis_key = self._keys.cache(kind, digest(key))
        raw = await aw(self._redis.get(redis_key))
        if raw is None:
            return None
        try:
            return model.model_validate_json(raw)
        except ValidationError:
            _log.warning("dropping a cache entry that does not validate: %s", redis_key)
            await aw(self._redis.delete(redis_key))
            return None

    async def put(self, kind: str, key: str, value: WireModel, ttl_s: float) -> None:
        """Store with a TTL in milliseconds; a TTL below one millisecond stores nothing."""
        ttl_ms = int(ttl_s * 1000)
        if ttl_ms < 1:
            return
        await aw(self._redis.set(self._keys.cache(kind, digest(key)), value.model_dump_json(), px=ttl_ms))
