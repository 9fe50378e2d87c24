"""The worker -> gateway events stream."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

from pydantic import ValidationError
from redis.asyncio import Redis

from shared.events import EVENT_ADAPTER, Event
from shared.keys import Keys
from shared.redis_typing import aw

_log: Final = logging.getLogger(__name__)
EVENTS_MAXLEN: Final = 100_000
_FIELD: Final = b"e"


@dataclass(frozen=True, slots=True)
class EventEntry:
    entry_id: str
    event: Event | None


class EventStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def publish(self, event: Event) -> str:
        entry_id = await aw(
            self._redis.xadd(
                self._keys.events(), {_FIELD: EVENT_ADAPTER.dump_json(event)}, maxlen=EVENTS_MAXLEN, approximate=True
            )
        )
        return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)

    async def wait(self, cursor: str, block_ms: int, count: int = 100) -> list[EventEntry]:
        """Events after `cursor` ("$" for only new ones), blocking up to `block_ms`."""
        replies = await aw(self._redis.xread({self._keys.events(): cursor}, count=count, block=block_ms))
        found: list[EventEntry] = []
        for _key, entries in replies or []:
            for entry_id, fields in entries:
                text_id = entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
                try:
                    found.append(EventEntry(text_id, EVENT_ADAPTER.validate_json(fields[_FIELD])))
                except (ValidationError, KeyError):
                    _log.warning("skipping event %s that does not validate", text_id)
                    found.append(EventEntry(text_id, None))
        return found

    async def latest_id(self) -> str:
        replies = await aw(self._redis.xrevrange(self._keys.events(), "+", "-", count=1))
        if not replies:
            return "0-0"
        entry_id = replies[0][0]
        return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)
