"""Redis stream plumbing shared by every stream store: capped appends, the newest id, entries after a cursor.

An entry holds one payload field; an entry whose payload is missing or does not validate comes back as None with
its id (so readers move past it instead of retrying it forever) and is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from pydantic import ValidationError
from redis.asyncio import Redis

from shared.redis_typing import aw

_log: Final = logging.getLogger(__name__)
NO_ENTRY: Final = "0-0"
"""The id before every entry: the newest id of an empty stream."""


def text_id(entry_id: bytes | str) -> str:
    return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)


async def newest_id(redis: Redis, key: str) -> str:
    """The id of the newest entry, NO_ENTRY when the stream is empty or missing."""
    replies = await aw(redis.xrevrange(key, "+", "-", count=1))
    return text_id(replies[0][0]) if replies else NO_ENTRY


@dataclass(frozen=True, slots=True)
class StreamFormat[T]:
    """How one kind of stream stores its payload: the field, how it parses, and what logs call it."""

    field: bytes
    parse: Callable[[bytes], T]
    what: str

    async def append(self, redis: Redis, key: str, payload: bytes | str, *, maxlen: int) -> str:
        """XADD capped near `maxlen` entries; the new entry's id."""
        return text_id(await aw(redis.xadd(key, {self.field: payload}, maxlen=maxlen, approximate=True)))

    async def read_after(
        self, redis: Redis, key: str, cursor: str, *, block_ms: int, count: int
    ) -> list[tuple[str, T | None]]:
        """Entries after `cursor` ("$": only new ones), blocking up to `block_ms`."""
        replies = await aw(redis.xread({key: cursor}, count=count, block=block_ms))
        return [self.entry(entry_id, fields) for _key, entries in replies or [] for entry_id, fields in entries]

    def entry(self, entry_id: bytes | str, fields: Mapping[bytes, bytes]) -> tuple[str, T | None]:
        """One entry's id and payload; None when the payload is missing or does not validate."""
        entry = text_id(entry_id)
        try:
            return entry, self.parse(fields[self.field])
        except (ValidationError, KeyError):
            _log.warning("skipping %s %s that does not validate", self.what, entry)
            return entry, None
