"""Stream cursors a gateway process keeps across restarts (voice requests), and the newest id of a stream."""

from __future__ import annotations

from redis.asyncio import Redis

from shared.keys import Keys
from shared.redis_streams import newest_id
from shared.redis_typing import aw


class CursorStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def voice_cursor(self, shard_key: str) -> str | None:
        raw = await aw(self._redis.get(self._keys.voice_cursor(shard_key)))
        return None if raw is None else raw.decode()

    async def save_voice_cursor(self, shard_key: str, cursor: str) -> None:
        await aw(self._redis.set(self._keys.voice_cursor(shard_key), cursor))

    async def latest_voice_request(self) -> str:
        """The id of the newest voice request, "0-0" when there is none."""
        return await newest_id(self._redis, self._keys.voice_requests())
