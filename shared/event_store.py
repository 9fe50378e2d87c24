"""The worker -> gateway events stream."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from redis.asyncio import Redis

from shared.events import EVENT_ADAPTER, Event
from shared.keys import Keys
from shared.redis_streams import StreamFormat, newest_id

EVENTS_MAXLEN: Final = 100_000
_FORMAT: Final = StreamFormat(b"e", EVENT_ADAPTER.validate_json, "event")


@dataclass(frozen=True, slots=True)
class EventEntry:
    entry_id: str
    event: Event | None


class EventStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def publish(self, event: Event) -> str:
        return await _FORMAT.append(
            self._redis, self._keys.events(), EVENT_ADAPTER.dump_json(event), maxlen=EVENTS_MAXLEN
        )

    async def wait(self, cursor: str, block_ms: int, count: int = 100) -> list[EventEntry]:
        """Events after `cursor` ("$" for only new ones), blocking up to `block_ms`."""
        read = await _FORMAT.read_after(self._redis, self._keys.events(), cursor, block_ms=block_ms, count=count)
        return [EventEntry(entry_id, event) for entry_id, event in read]

    async def latest_id(self) -> str:
        return await newest_id(self._redis, self._keys.events())
