"""Voice credentials forwarded by the gateway for the guild's owner, and the worker->gateway request stream."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from redis.asyncio import Redis

from shared.events import VoiceStateRequest
from shared.keys import Keys
from shared.models import VoiceCredentials
from shared.redis_streams import StreamFormat
from shared.redis_typing import aw

REQUESTS_MAXLEN: Final = 10_000
_FORMAT: Final = StreamFormat(b"r", VoiceStateRequest.model_validate_json, "voice request")


@dataclass(frozen=True, slots=True)
class VoiceRequestEntry:
    entry_id: str
    request: VoiceStateRequest | None


class VoiceStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def put_credentials(self, credentials: VoiceCredentials) -> None:
        await aw(self._redis.set(self._keys.voice(credentials.guild_id), credentials.model_dump_json()))

    async def credentials(self, guild_id: int) -> VoiceCredentials | None:
        key = self._keys.voice(guild_id)
        return VoiceCredentials.stored(await aw(self._redis.get(key)), key)

    async def clear_credentials(self, guild_id: int) -> None:
        await aw(self._redis.delete(self._keys.voice(guild_id)))

    async def request(self, request: VoiceStateRequest) -> str:
        """A worker asks the gateway to join, move or leave."""
        key = self._keys.voice_requests()
        return await _FORMAT.append(self._redis, key, request.model_dump_json(), maxlen=REQUESTS_MAXLEN)

    async def wait_requests(self, cursor: str, block_ms: int, count: int = 100) -> list[VoiceRequestEntry]:
        key = self._keys.voice_requests()
        read = await _FORMAT.read_after(self._redis, key, cursor, block_ms=block_ms, count=count)
        return [VoiceRequestEntry(entry_id, request) for entry_id, request in read]
