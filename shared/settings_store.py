"""Per-guild settings (`/settings`), validated on read; a corrupt value falls back to defaults loudly."""

from __future__ import annotations

import logging
from typing import Any, Final

from pydantic import ValidationError
from redis.asyncio import Redis
from redis.exceptions import WatchError

from shared.keys import Keys
from shared.models import GuildSettings
from shared.redis_typing import aw

_log: Final = logging.getLogger(__name__)
_ATTEMPTS: Final = 5


class SettingsStore:
    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys

    async def get(self, guild_id: int) -> GuildSettings:
        key = self._keys.settings(guild_id)
        raw = await aw(self._redis.get(key))
        return self._decode(key, raw)

    def _decode(self, key: str, raw: bytes | None) -> GuildSettings:
        if raw is None:
            return GuildSettings()
        try:
            return GuildSettings.model_validate_json(raw)
        except ValidationError as exc:
            _log.error("settings at %s do not validate (%d errors); using defaults", key, exc.error_count())
            return GuildSettings()

    async def update(self, guild_id: int, **changes: Any) -> GuildSettings:
        """Apply changes atomically against concurrent updates; raises ValidationError for bad values."""
        key = self._keys.settings(guild_id)
        for _ in range(_ATTEMPTS):
            async with self._redis.pipeline(transaction=True) as pipe:
                try:
                    await pipe.watch(key)
                    current = self._decode(key, await pipe.get(key))
                    updated = GuildSettings.model_validate({**current.model_dump(), **changes})
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.set(key, updated.model_dump_json())
                    await pipe.execute()
                except WatchError:
                    continue
                return updated
        raise WatchError(f"settings of guild {guild_id} kept changing")
