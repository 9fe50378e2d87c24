"""The per-guild command stream: the gateway appends, the owner reads in order after its stored cursor."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from redis.asyncio import Redis

from shared.clock import now_ms
from shared.commands import COMMAND_ADAPTER, Command
from shared.keys import Keys
from shared.redis_streams import StreamFormat, newest_id, text_id
from shared.redis_typing import aw

_log: Final = logging.getLogger(__name__)

STREAM_MAXLEN: Final = 1000
_FORMAT: Final = StreamFormat(b"c", COMMAND_ADAPTER.validate_json, "command")


@dataclass(frozen=True, slots=True)
class StreamEntry:
    """One stream entry: `command` is None when the payload did not validate (it is skipped, never retried)."""

    entry_id: str
    command: Command | None


class CommandStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def append(self, guild_id: int, command: Command) -> str:
        """Append a command; returns its stream id (ids are strictly increasing per guild)."""
        if command.issued_at_ms == 0:
            command = command.model_copy(update={"issued_at_ms": now_ms()})
        payload = COMMAND_ADAPTER.dump_json(command)
        return await _FORMAT.append(self._redis, self._keys.commands(guild_id), payload, maxlen=STREAM_MAXLEN)

    async def read_after(self, guild_id: int, cursor: str, count: int = 100) -> list[StreamEntry]:
        """Commands after `cursor`, oldest first, without blocking."""
        replies = await aw(self._redis.xrange(self._keys.commands(guild_id), f"({cursor}", "+", count=count))
        return [self._entry(entry_id, fields) for entry_id, fields in replies]

    async def wait_many(
        self, cursors: Mapping[int, str], block_ms: int, count: int = 100
    ) -> dict[int, list[StreamEntry]]:
        """Block up to `block_ms` for new commands of any of the guilds (one XREAD for all of them)."""
        if not cursors:
            return {}
        streams = {self._keys.commands(gid): cursor for gid, cursor in cursors.items()}
        by_key = {self._keys.commands(gid): gid for gid in cursors}
        replies = await aw(self._redis.xread(streams, count=count, block=block_ms))  # type: ignore[arg-type]
        found: dict[int, list[StreamEntry]] = {}
        for key, entries in replies or []:
            gid = by_key[text_id(key)]
            found[gid] = [self._entry(entry_id, fields) for entry_id, fields in entries]
        return found

    async def latest_id(self, guild_id: int) -> str:
        """The id of the newest command, "0-0" if none (a new owner of a fresh guild starts here)."""
        return await newest_id(self._redis, self._keys.commands(guild_id))

    def _entry(self, entry_id: bytes | str, fields: Mapping[bytes, bytes]) -> StreamEntry:
        return StreamEntry(*_FORMAT.entry(entry_id, fields))
