"""Where the gateway's long-lived messages are: the now-playing message of each guild, playlist progress notices."""

from __future__ import annotations

from typing import Final

from redis.asyncio import Redis

from shared.keys import Keys
from shared.models import Snowflake, WireModel
from shared.redis_typing import aw

PROGRESS_TTL_S: Final = 6 * 3600


class MessageRef(WireModel):
    channel_id: Snowflake
    message_id: Snowflake


class MessageStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def now_playing(self, guild_id: int) -> MessageRef | None:
        return await self._get(self._keys.now_playing_message(guild_id))

    async def set_now_playing(self, guild_id: int, ref: MessageRef) -> None:
        await aw(self._redis.set(self._keys.now_playing_message(guild_id), ref.model_dump_json()))

    async def clear_now_playing(self, guild_id: int) -> None:
        await aw(self._redis.delete(self._keys.now_playing_message(guild_id)))

    async def progress(self, guild_id: int, request_id: str) -> MessageRef | None:
        return await self._get(self._keys.progress_message(guild_id, request_id))

    async def set_progress(self, guild_id: int, request_id: str, ref: MessageRef) -> None:
        key = self._keys.progress_message(guild_id, request_id)
        await aw(self._redis.set(key, ref.model_dump_json(), ex=PROGRESS_TTL_S))

    async def _get(self, key: str) -> MessageRef | None:
        return MessageRef.stored(await aw(self._redis.get(key)), key)
