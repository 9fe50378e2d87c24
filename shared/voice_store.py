"""Voice credentials forwarded by the gateway for the guild's owner, and the worker->gateway request stream."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

from pydantic import ValidationError
from redis.asyncio import Redis

from shared.events import VoiceStateRequest
from shared.keys import Keys
from shared.models import VoiceCredentials
from shared.redis_typing import aw

_log: Final = logging.getLogger(__name__)
REQUESTS_MAXLEN: Final = 10_000
_FIELD: Final = b"r"


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
        raw = await aw(self._redis.get(key))
        if raw is None:
            return None
        try:
            return VoiceCredentials.model_validate_json(raw)
        except ValidationError as exc:
            _log.error("voice credentials at %s do not validate (%d errors)", key, exc.error_count())
            return None

    async def clear_credentials(self, guild_id: int) -> None:
        await aw(self._redis.delete(self._keys.voice(guild_id)))

    async def request(self, request: VoiceStateRequest) -> str:
        """A worker asks the gateway to join, move or leave."""
        entry_id = await aw(
            self._redis.xadd(
                self._keys.voice_requests(),
                {_FIELD: request.model_dump_json()},
                maxlen=REQUESTS_MAXLEN,
                approximate=True,
            )
        )
        return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)

    async def wait_requests(self, cursor: str, block_ms: int, count: int = 100) -> list[VoiceRequestEntry]:
        replies = await aw(self._redis.xread({self._keys.voice_requests(): cursor}, count=count, block=block_ms))
        found: list[VoiceRequestEntry] = []
        for _key, entries in replies or []:
            for entry_id, fields in entries:
                text_id = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
                try:
                    found.append(VoiceRequestEntry(text_id, VoiceStateRequest.model_validate_json(fields[_FIELD])))
                except (ValidationError, KeyError):
                    _log.warning("skipping voice request %s that does not validate", text_id)
                    found.append(VoiceRequestEntry(text_id, None))
        return found
