"""A guild's player state and history; every write is fenced so a deposed owner cannot change anything."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from pydantic import ValidationError
from redis.asyncio import Redis

from shared import lua
from shared.errors import CorruptDataError
from shared.keys import Keys
from shared.models import MAX_QUEUE_LIMIT, Page, PlayerState, QueueItem
from shared.queue_store import decode_item, encode_item
from shared.redis_typing import aw

_log: Final = logging.getLogger(__name__)

HISTORY_CAP: Final = 100
_NOW_PLAYING_NULL: Final = '{"now_playing":null'


class Retire(StrEnum):
    """What happens to the item that stops playing when the player advances."""

    HISTORY = "history"
    REQUEUE = "requeue"
    """Loop queue: back to the end of the queue (and into nothing else)."""
    DROP = "drop"


@dataclass(frozen=True, slots=True)
class Transition:
    """The outcome of a fenced transition: whether the fence held, and the new now-playing item."""

    fenced_out: bool
    item: QueueItem | None


def _template(state: PlayerState) -> tuple[str, str]:
    """Split the state's JSON around its now_playing value so a script can put a queue item there."""
    text = state.model_copy(update={"now_playing": None}).model_dump_json()
    if not text.startswith(_NOW_PLAYING_NULL):
        raise AssertionError("PlayerState must serialize now_playing first")
    return '{"now_playing":', text[len(_NOW_PLAYING_NULL) :]


class PlayerStore:
    """Reads player state and history; writes them only through fenced scripts."""

    def __init__(self, redis: Redis, keys: Keys, *, history_cap: int = HISTORY_CAP) -> None:
        self._redis = redis
        self._keys = keys
        self._history_cap = history_cap
        self._set = redis.register_script(lua.FENCED_SET)
        self._advance = redis.register_script(lua.ADVANCE)
        self._previous = redis.register_script(lua.PREVIOUS)
        self._play_now = redis.register_script(lua.PLAY_NOW)
        self._clear = redis.register_script(lua.FENCED_CLEAR)

    async def load(self, guild_id: int) -> PlayerState | None:
        """The stored state, None if there is none; CorruptDataError if it does not validate."""
        key = self._keys.player(guild_id)
        raw = await aw(self._redis.get(key))
        if raw is None:
            return None
        try:
            return PlayerState.model_validate_json(raw)
        except ValidationError as exc:
            raise CorruptDataError(key, f"player state: {exc.error_count()} validation errors") from exc

    async def save(self, guild_id: int, fence: int, state: PlayerState) -> bool:
        """Checkpoint the state; False when `fence` is stale (the caller must stop at once)."""
        keys = [self._keys.fence(guild_id), self._keys.player(guild_id)]
        return bool(await self._set(keys=keys, args=[fence, state.model_dump_json()]))

    def _transition_keys(self, guild_id: int) -> list[str]:
        k = self._keys
        return [k.fence(guild_id), k.player(guild_id), k.queue(guild_id), k.history(guild_id), k.shares(guild_id)]

    def _result(self, guild_id: int, reply: list[object]) -> Transition:
        ok, raw = reply
        item = decode_item(raw, self._keys.queue(guild_id)) if isinstance(raw, (bytes, str)) else None
        return Transition(fenced_out=not ok, item=item)

    async def advance(
        self,
        guild_id: int,
        fence: int,
        state: PlayerState,
        *,
        retire: Retire = Retire.HISTORY,
        skip_extra: int = 0,
    ) -> Transition:
        """Retire the current item, drop `skip_extra` queued ones, make the next queued item now_playing.

        `state` is the state to store around the new item (position, paused, cursor ...); its now_playing is
        ignored. The stored now_playing is None when the queue was empty.
        """
        prefix, suffix = _template(state)
        finished = encode_item(state.now_playing) if state.now_playing else ""
        args: list[str | int] = [fence, finished, retire.value, self._history_cap, max(0, skip_extra), prefix, suffix]
        reply = await self._advance(keys=self._transition_keys(guild_id), args=args)
        return self._result(guild_id, reply)

    async def previous(self, guild_id: int, fence: int, state: PlayerState) -> Transition:
        """Play the newest history item; the current one goes back to the front of the queue."""
        prefix, suffix = _template(state)
        current = encode_item(state.now_playing) if state.now_playing else ""
        reply = await self._previous(keys=self._transition_keys(guild_id), args=[fence, current, prefix, suffix])
        return self._result(guild_id, reply)

    async def play_now(self, guild_id: int, fence: int, state: PlayerState, uid: str) -> Transition:
        """Take item `uid` out of the queue and make it now_playing; the current item goes to history."""
        prefix, suffix = _template(state)
        current = encode_item(state.now_playing) if state.now_playing else ""
        args: list[str | int] = [fence, uid, current, self._history_cap, prefix, suffix]
        reply = await self._play_now(keys=self._transition_keys(guild_id), args=args)
        return self._result(guild_id, reply)

    async def stop(self, guild_id: int, fence: int, state: PlayerState) -> bool:
        """Clear the queue and store `state` (normally with nothing playing), atomically."""
        k = self._keys
        keys = [k.fence(guild_id), k.player(guild_id), k.queue(guild_id), k.shares(guild_id)]
        return bool(await self._clear(keys=keys, args=[fence, state.model_dump_json()]))

    async def history(self, guild_id: int, offset: int = 0, limit: int = 10) -> Page:
        key = self._keys.history(guild_id)
        limit = max(1, min(limit, MAX_QUEUE_LIMIT))
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.lrange(key, offset, offset + limit - 1)
            pipe.llen(key)
            raw_items, total = await pipe.execute()
        items: list[QueueItem] = []
        for raw in raw_items:
            try:
                items.append(decode_item(raw, key))
            except CorruptDataError as exc:
                _log.warning("skipping a corrupt history item: %s", exc)
        return Page(items=tuple(items), offset=max(0, offset), total=int(total))
