"""Playlist requests in Redis: what chunk jobs need (meta), where they are (next chunk), and staged entries.

The request hash `keys.request(gid, rid)` is shared with the queue's APPEND script, which owns the fields
`next_chunk`, `queued`, `last` and `limited_by`; this store adds `meta` and `status`. Staged entries are read by
index and never popped, so a retried chunk job reads exactly what the first attempt read.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from pydantic import ValidationError
from redis.asyncio import Redis

from shared.keys import Keys
from shared.models import Track
from shared.redis_typing import aw
from worker.resolve.models import RequestMeta

_log: Final = logging.getLogger(__name__)

REQUEST_TTL_S: Final = 24 * 3600
_STAGE_BATCH: Final = 1000


@dataclass(frozen=True, slots=True)
class RequestState:
    next_chunk: int
    queued: int
    status: str
    """"running", "done" or "stopped"."""
    limited_by: str | None


class RequestStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def save_meta(self, guild_id: int, request_id: str, meta: RequestMeta) -> None:
        key = self._keys.request(guild_id, request_id)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping={"meta": meta.model_dump_json()})
            pipe.hsetnx(key, "status", "running")
            pipe.expire(key, REQUEST_TTL_S)
            await pipe.execute()

    async def meta(self, guild_id: int, request_id: str) -> RequestMeta | None:
        key = self._keys.request(guild_id, request_id)
        return RequestMeta.stored(await aw(self._redis.hget(key, "meta")), f"{key} meta")

    async def state(self, guild_id: int, request_id: str) -> RequestState:
        key = self._keys.request(guild_id, request_id)
        raw = await aw(self._redis.hmget(key, ["next_chunk", "queued", "status", "limited_by"]))
        next_chunk, queued, status, limited = raw
        return RequestState(
            next_chunk=int(next_chunk or 0),
            queued=int(queued or 0),
            status=status.decode() if status else "running",
            limited_by=limited.decode() if limited else None,
        )

    async def expire(self, guild_id: int, request_id: str) -> None:
        await aw(self._redis.expire(self._keys.request(guild_id, request_id), REQUEST_TTL_S))

    async def stage(self, guild_id: int, request_id: str, tracks: Sequence[Track]) -> None:
        """Replace the staged entries in one transaction (a retried resolve job writes the same list again)."""
        key = self._keys.staged(guild_id, request_id)
        values = await asyncio.to_thread(_encode_all, tracks)  # 20,000 tracks take ~60 ms: not on the loop
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            for start in range(0, len(values), _STAGE_BATCH):
                pipe.rpush(key, *values[start : start + _STAGE_BATCH])
            pipe.expire(key, REQUEST_TTL_S)
            await pipe.execute()

    async def staged(self, guild_id: int, request_id: str, start: int, end: int) -> list[Track]:
        """Staged entries [start, end); entries that do not validate are skipped and logged."""
        key = self._keys.staged(guild_id, request_id)
        raw_items = await aw(self._redis.lrange(key, start, end - 1))
        tracks: list[Track] = []
        for raw in raw_items:
            try:
                tracks.append(Track.model_validate_json(raw))
            except ValidationError:
                _log.warning("skipping a staged entry of %s that does not validate", key)
        return tracks

    async def finish(self, guild_id: int, request_id: str, status: str) -> None:
        """Mark the request done or stopped and drop its staged entries."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(self._keys.request(guild_id, request_id), "status", status)
            pipe.expire(self._keys.request(guild_id, request_id), REQUEST_TTL_S)
            pipe.delete(self._keys.staged(guild_id, request_id))
            await pipe.execute()


def _encode_all(tracks: Sequence[Track]) -> list[str]:
    return [track.model_dump_json() for track in tracks]
