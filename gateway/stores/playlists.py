"""Saved playlists in Redis: per owner an index HASH (name key -> PlaylistMeta JSON) and one LIST of Track JSON per
playlist (`Keys.playlists`, `Keys.playlist_entries`).

Every change is one script (`shared/lua/playlists.py`) that first checks the playlist is the one the caller read (its
meta JSON is unchanged), so two members changing the same playlist at once never lose an update or write into a
playlist deleted and re-created meanwhile; limits are checked inside the same script. Entries that no longer
validate (written by hand or by another version) are left out of what is read, and logged.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from pydantic import ValidationError
from redis.asyncio import Redis

from shared import lua
from shared.keys import Keys
from shared.models import Track
from shared.playlists import PlaylistMeta, PlaylistOwner

_log: Final = logging.getLogger(__name__)


class Write(StrEnum):
    """How a change went."""

    DONE = "done"
    NAME_TAKEN = "name_taken"
    TOO_MANY_PLAYLISTS = "too_many_playlists"
    TOO_MANY_ENTRIES = "too_many_entries"
    CHANGED = "changed"
    """The playlist was deleted, renamed or re-created since it was read: nothing was written."""
    NO_ENTRY = "no_entry"


@dataclass(frozen=True, slots=True)
class Written:
    outcome: Write
    length: int | None = None
    """Entries after an append (or, when they would not fit, before it)."""
    removed: Track | None = None


@dataclass(frozen=True, slots=True)
class Summary:
    meta: PlaylistMeta
    entries: int


def name_key(name: str) -> str:
    """Names are unique per owner regardless of case (`Chill` and `chill` are one playlist)."""
    return name.casefold()


def _encode(tracks: Sequence[Track]) -> list[str]:
    return [track.model_dump_json(exclude_defaults=True) for track in tracks]


class PlaylistStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys
        self._create = redis.register_script(lua.PLAYLIST_CREATE)
        self._append = redis.register_script(lua.PLAYLIST_APPEND)
        self._remove = redis.register_script(lua.PLAYLIST_REMOVE)
        self._rename = redis.register_script(lua.PLAYLIST_RENAME)
        self._delete = redis.register_script(lua.PLAYLIST_DELETE)

    def new_meta(self, name: str, created_by: int, now_ms: int) -> PlaylistMeta:
        return PlaylistMeta(id=uuid.uuid4().hex, name=name, created_by=created_by, created_at_ms=now_ms)

    async def find(self, owner: PlaylistOwner, name: str) -> PlaylistMeta | None:
        key = self._keys.playlists(owner)
        return PlaylistMeta.stored(await self._redis.hget(key, name_key(name)), key)  # type: ignore[misc]

    async def summaries(self, owner: PlaylistOwner) -> list[Summary]:
        """The owner's playlists by name, with their lengths."""
        key = self._keys.playlists(owner)
        raw: dict[bytes, bytes] = await self._redis.hgetall(key)  # type: ignore[misc]
        metas = [meta for value in raw.values() if (meta := PlaylistMeta.stored(value, key)) is not None]
        metas.sort(key=lambda meta: name_key(meta.name))
        async with self._redis.pipeline(transaction=False) as pipe:
            for meta in metas:
                pipe.llen(self._keys.playlist_entries(owner, meta.id))
            lengths = await pipe.execute()
        return [Summary(meta, int(length)) for meta, length in zip(metas, lengths, strict=True)]

    async def count(self, owner: PlaylistOwner) -> int:
        return int(await self._redis.hlen(self._keys.playlists(owner)))  # type: ignore[misc]

    async def length(self, owner: PlaylistOwner, meta: PlaylistMeta) -> int:
        return int(await self._redis.llen(self._keys.playlist_entries(owner, meta.id)))  # type: ignore[misc]

    async def entries(self, owner: PlaylistOwner, meta: PlaylistMeta, offset: int = 0, limit: int = -1) -> list[Track]:
        """Entries `offset` … `offset + limit - 1` (all from `offset` with limit -1) that validate."""
        key = self._keys.playlist_entries(owner, meta.id)
        stop = -1 if limit < 0 else offset + limit - 1
        raw: list[bytes] = await self._redis.lrange(key, offset, stop)  # type: ignore[misc]
        return [track for value in raw if (track := _decoded(value, key)) is not None]

    async def create(
        self, owner: PlaylistOwner, meta: PlaylistMeta, tracks: Sequence[Track], *, max_playlists: int
    ) -> Written:
        keys = [self._keys.playlists(owner), self._keys.playlist_entries(owner, meta.id)]
        args: list[str | int] = [name_key(meta.name), meta.model_dump_json(), max_playlists, *_encode(tracks)]
        code = int(await self._create(keys=keys, args=args))
        return Written((Write.DONE, Write.NAME_TAKEN, Write.TOO_MANY_PLAYLISTS)[code], len(tracks))

    async def append(
        self, owner: PlaylistOwner, meta: PlaylistMeta, tracks: Sequence[Track], *, max_entries: int
    ) -> Written:
        keys = [self._keys.playlists(owner), self._keys.playlist_entries(owner, meta.id)]
        args: list[str | int] = [name_key(meta.name), meta.model_dump_json(), max_entries, *_encode(tracks)]
        code, length = await self._append(keys=keys, args=args)
        return Written((Write.DONE, Write.CHANGED, Write.TOO_MANY_ENTRIES)[int(code)], int(length))

    async def remove(self, owner: PlaylistOwner, meta: PlaylistMeta, index: int) -> Written:
        keys = [self._keys.playlists(owner), self._keys.playlist_entries(owner, meta.id)]
        tombstone = f"removed:{uuid.uuid4().hex}"  # not JSON: no entry can equal it
        reply = await self._remove(keys=keys, args=[name_key(meta.name), meta.model_dump_json(), index, tombstone])
        outcome = (Write.DONE, Write.CHANGED, Write.NO_ENTRY)[int(reply[0])]
        removed = _decoded(reply[1], keys[1]) if outcome is Write.DONE else None
        return Written(outcome, removed=removed)

    async def rename(self, owner: PlaylistOwner, meta: PlaylistMeta, new_name: str) -> Written:
        renamed = meta.model_copy(update={"name": new_name})
        args = [name_key(meta.name), meta.model_dump_json(), name_key(new_name), renamed.model_dump_json()]
        code = int(await self._rename(keys=[self._keys.playlists(owner)], args=args))
        return Written((Write.DONE, Write.CHANGED, Write.NAME_TAKEN)[code])

    async def delete(self, owner: PlaylistOwner, meta: PlaylistMeta) -> Written:
        keys = [self._keys.playlists(owner), self._keys.playlist_entries(owner, meta.id)]
        code = int(await self._delete(keys=keys, args=[name_key(meta.name), meta.model_dump_json()]))
        return Written((Write.DONE, Write.CHANGED)[code])


def _decoded(raw: bytes | str, key: str) -> Track | None:
    try:
        return Track.model_validate_json(raw)
    except ValidationError as exc:
        _log.warning("ignoring an entry of %s: it does not validate (%d errors)", key, exc.error_count())
        return None
