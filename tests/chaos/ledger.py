"""Every queue entry of a guild, wherever it is (history, now playing, queue): nothing lost, nothing duplicated."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from redis.asyncio import Redis

from shared.keys import Keys
from shared.player_store import PlayerStore
from shared.queue_store import QueueStore


@dataclass(frozen=True)
class Ledger:
    history: list[str]
    """Titles, oldest first."""
    now_playing: str | None
    queue: list[str]
    uids: list[str]

    @property
    def titles(self) -> list[str]:
        now = [self.now_playing] if self.now_playing is not None else []
        return [*self.history, *now, *self.queue]

    def duplicates(self) -> list[str]:
        return [uid for uid, n in Counter(self.uids).items() if n > 1]


async def ledger(redis: Redis, keys: Keys, guild_id: int) -> Ledger:
    players = PlayerStore(redis, keys)
    state = await players.load(guild_id)
    history = (await players.history(guild_id, 0, 100)).items[::-1]
    queue = await QueueStore(redis, keys).all_items(guild_id)
    now = state.now_playing if state is not None else None
    items = [*history, *([now] if now is not None else []), *queue]
    return Ledger(
        history=[item.track.title for item in history],
        now_playing=now.track.title if now is not None else None,
        queue=[item.track.title for item in queue],
        uids=[item.uid for item in items],
    )
