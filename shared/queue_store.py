"""A guild's queue in Redis: atomic append (idempotent per playlist chunk), paging, remove, move, shuffle, clear."""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from pydantic import ValidationError
from redis.asyncio import Redis

from shared import lua
from shared.errors import CorruptDataError
from shared.keys import Keys
from shared.models import InsertPosition, Page, QueueItem
from shared.redis_typing import aw

_log: Final = logging.getLogger(__name__)

MAX_PAGE: Final = 100

LimitedBy = Literal["queue", "user_share"]


@dataclass(frozen=True, slots=True)
class QueueLimits:
    max_length: int
    max_per_user: int


@dataclass(frozen=True, slots=True)
class AppendResult:
    appended: int
    duplicate: bool
    """The chunk was appended before (a retried job): nothing was added now."""
    limited_by: LimitedBy | None
    """Why fewer items than offered were added."""
    queue_length: int


def decode_item(raw: bytes | str, key: str) -> QueueItem:
    """Validate one stored queue item; a value that does not validate raises CorruptDataError naming the key."""
    try:
        return QueueItem.model_validate_json(raw)
    except ValidationError as exc:
        raise CorruptDataError(key, f"queue item: {exc.error_count()} validation errors") from exc


def encode_item(item: QueueItem) -> str:
    return item.model_dump_json()


class QueueStore:
    """Every queue mutation is one Lua script, so concurrent jobs, gateways and the owner never race."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys
        self._append = redis.register_script(lua.APPEND)
        self._remove_at = redis.register_script(lua.REMOVE_AT)
        self._remove_uid = redis.register_script(lua.REMOVE_UID)
        self._move = redis.register_script(lua.MOVE)
        self._shuffle = redis.register_script(lua.SHUFFLE)
        self._radio_append = redis.register_script(lua.RADIO_APPEND)
        self._remove_radio = redis.register_script(lua.REMOVE_RADIO)

    async def append(
        self,
        guild_id: int,
        items: Sequence[QueueItem],
        *,
        limits: QueueLimits,
        position: InsertPosition = InsertPosition.END,
        request_id: str | None = None,
        chunk_index: int | None = None,
    ) -> AppendResult:
        """Add items from one requester; with a request id and chunk index, only the request's next chunk applies."""
        requesters = {item.requester_id for item in items}
        if len(requesters) > 1:
            raise ValueError("one append takes the items of one requester")
        if (request_id is None) != (chunk_index is None):
            raise ValueError("request_id and chunk_index go together")
        requester = str(next(iter(requesters))) if requesters else "0"
        request_key = self._keys.request(guild_id, request_id) if request_id else self._keys.queue(guild_id)
        keys = [self._keys.queue(guild_id), self._keys.shares(guild_id), request_key]
        args: list[str | int] = [position.value, limits.max_length, limits.max_per_user, requester]
        args.append(-1 if chunk_index is None else chunk_index)
        args.extend(encode_item(item) for item in items)
        appended, duplicate, length, limited = await self._append(keys=keys, args=args)
        limited_by: LimitedBy | None = None
        if limited in (b"queue", b"user_share"):
            limited_by = "queue" if limited == b"queue" else "user_share"
        return AppendResult(int(appended), bool(duplicate), limited_by, int(length))

    async def append_radio(
        self, guild_id: int, fence: int, items: Sequence[QueueItem], *, max_length: int
    ) -> int | None:
        """The owner's autoplay refill: `items` (marked `autoplay`) at the end of the queue, within `max_length`;
        how many were appended, None when `fence` is stale (another worker owns the guild)."""
        if any(not item.autoplay for item in items):
            raise ValueError("only autoplayed items are appended by the radio")
        keys = [self._keys.fence(guild_id), self._keys.queue(guild_id)]
        appended = int(await self._radio_append(keys=keys, args=[fence, max_length, *map(encode_item, items)]))
        return None if appended < 0 else appended

    async def remove_radio(self, guild_id: int) -> int:
        """Take every autoplayed item out of the queue (autoplay turned off); members' items stay in order."""
        return int(await self._remove_radio(keys=[self._keys.queue(guild_id)]))

    async def length(self, guild_id: int) -> int:
        return int(await aw(self._redis.llen(self._keys.queue(guild_id))))

    async def page(self, guild_id: int, offset: int = 0, limit: int = 10) -> Page:
        """One consistent page; items that fail validation are left out and counted in the log."""
        limit = max(1, min(limit, MAX_PAGE))
        offset = max(0, offset)
        key = self._keys.queue(guild_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.lrange(key, offset, offset + limit - 1)
            pipe.llen(key)
            raw_items, total = await pipe.execute()
        return Page(items=tuple(self._decode_valid(raw_items, key)), offset=offset, total=int(total))

    async def all_items(self, guild_id: int) -> list[QueueItem]:
        key = self._keys.queue(guild_id)
        raw_items = await aw(self._redis.lrange(key, 0, -1))
        return self._decode_valid(raw_items, key)

    def _decode_valid(self, raw_items: Sequence[bytes], key: str) -> list[QueueItem]:
        items: list[QueueItem] = []
        for raw in raw_items:
            try:
                items.append(decode_item(raw, key))
            except CorruptDataError as exc:
                _log.warning("skipping a corrupt queue item: %s", exc)
        return items

    async def remove_at(self, guild_id: int, index: int) -> QueueItem | None:
        """Remove the item at a 0-based position; None if there is none."""
        if index < 0:
            return None
        keys = [self._keys.queue(guild_id), self._keys.shares(guild_id)]
        raw = await self._remove_at(keys=keys, args=[index])
        return None if raw is None else decode_item(raw, keys[0])

    async def remove_uid(self, guild_id: int, uid: str) -> tuple[int, QueueItem] | None:
        """Remove the item with this id; returns its former position and the item."""
        keys = [self._keys.queue(guild_id), self._keys.shares(guild_id)]
        found = await self._remove_uid(keys=keys, args=[uid])
        if found is None:
            return None
        index, raw = found
        return int(index), decode_item(raw, keys[0])

    async def move(self, guild_id: int, from_index: int, to_index: int) -> QueueItem | None:
        """Move an item so that it ends up at `to_index` (clamped to the end)."""
        if from_index < 0 or to_index < 0:
            return None
        key = self._keys.queue(guild_id)
        raw = await self._move(keys=[key], args=[from_index, to_index])
        return None if raw is None else decode_item(raw, key)

    async def shuffle(self, guild_id: int, rng: random.Random | None = None) -> int:
        """Shuffle the whole queue in one script; returns the number of items."""
        seed = (rng or random.SystemRandom()).randrange(1, 2**31 - 1)
        return int(await self._shuffle(keys=[self._keys.queue(guild_id)], args=[seed]))

    async def clear(self, guild_id: int) -> int:
        """Empty the queue; returns how many items were removed."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.llen(self._keys.queue(guild_id))
            pipe.delete(self._keys.queue(guild_id), self._keys.shares(guild_id))
            removed, _ = await pipe.execute()
        return int(removed)

    async def user_count(self, guild_id: int, user_id: int) -> int:
        raw = await aw(self._redis.hget(self._keys.shares(guild_id), str(user_id)))
        return int(raw or 0)
