"""Per-member memory for `/play` autocomplete (recent queries and picked results) and `/search` sessions."""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Final

from pydantic import Field, ValidationError
from redis.asyncio import Redis

from shared.jobs import MAX_QUERY_LENGTH
from shared.keys import Keys
from shared.models import InsertPosition, Snowflake, Track, WireModel
from shared.redis_typing import aw

_log: Final = logging.getLogger(__name__)
RECENT_LIMIT: Final = 25
RECENT_TTL_S: Final = 30 * 24 * 3600
SEARCH_TTL_S: Final = 15 * 60
CHOICE_LENGTH: Final = 100
CHOICE_TTL_S: Final = 24 * 3600
CHOICE_KEY_PREFIX: Final = "encore-choice:"
"""Autocomplete values are at most 100 characters; a longer query is offered as this prefix and a digest, which
`/play` maps back to the query (see `RecentStore.shorten`)."""
_CHOICE_KEY: Final = re.compile(rf"^{re.escape(CHOICE_KEY_PREFIX)}([0-9a-f]{{32}})$")


class RecentEntry(WireModel):
    """An autocomplete choice: what the member sees and the query `/play` receives."""

    label: str = Field(min_length=1, max_length=CHOICE_LENGTH)
    value: str = Field(min_length=1, max_length=MAX_QUERY_LENGTH)


class SearchSession(WireModel):
    """The results one `/search` offered; a pick button names the session and an index."""

    user_id: Snowflake
    query: str = Field(max_length=MAX_QUERY_LENGTH)
    tracks: tuple[Track, ...]
    position: InsertPosition = InsertPosition.END


class RecentStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def remember(self, guild_id: int, user_id: int, entries: list[RecentEntry]) -> None:
        """Put entries first (dropping older copies), keep the newest RECENT_LIMIT, refresh the TTL."""
        if not entries:
            return
        key = self._keys.recent(guild_id, user_id)
        raw = [entry.model_dump_json() for entry in entries]
        async with self._redis.pipeline(transaction=True) as pipe:
            for value in raw:
                pipe.lrem(key, 0, value)
            pipe.lpush(key, *reversed(raw))
            pipe.ltrim(key, 0, RECENT_LIMIT - 1)
            pipe.expire(key, RECENT_TTL_S)
            await pipe.execute()

    async def recent(self, guild_id: int, user_id: int) -> list[RecentEntry]:
        key = self._keys.recent(guild_id, user_id)
        found: list[RecentEntry] = []
        for raw in await aw(self._redis.lrange(key, 0, RECENT_LIMIT - 1)):
            try:
                found.append(RecentEntry.model_validate_json(raw))
            except ValidationError:
                _log.warning("skipping a recent entry at %s that does not validate", key)
        return found

    async def shorten(self, guild_id: int, user_id: int, values: list[str]) -> list[str]:
        """Each value as an autocomplete choice value: itself when it fits, else a short key that `expand` maps
        back to it for this member (for CHOICE_TTL_S). A cut value would be a different query, so never that."""
        shortened: list[str] = []
        async with self._redis.pipeline(transaction=False) as pipe:
            for value in values:
                if len(value) <= CHOICE_LENGTH and not value.startswith(CHOICE_KEY_PREFIX):
                    shortened.append(value)
                    continue
                digest = hashlib.sha256(value.encode("utf-8", errors="surrogatepass")).hexdigest()[:32]
                pipe.set(self._keys.choice(guild_id, user_id, digest), value, ex=CHOICE_TTL_S)
                shortened.append(CHOICE_KEY_PREFIX + digest)
            await pipe.execute()
        return shortened

    async def expand(self, guild_id: int, user_id: int, text: str) -> str | None:
        """The query behind a short choice value; `text` itself when it is not one; None when it expired."""
        match = _CHOICE_KEY.match(text.strip())
        if match is None:
            return text
        raw = await aw(self._redis.get(self._keys.choice(guild_id, user_id, match.group(1))))
        return raw.decode() if isinstance(raw, bytes) else raw

    async def save_search(self, guild_id: int, search_id: str, session: SearchSession) -> None:
        key = self._keys.search(guild_id, search_id)
        await aw(self._redis.set(key, session.model_dump_json(), ex=SEARCH_TTL_S))

    async def search(self, guild_id: int, search_id: str) -> SearchSession | None:
        key = self._keys.search(guild_id, search_id)
        return SearchSession.stored(await aw(self._redis.get(key)), key)
