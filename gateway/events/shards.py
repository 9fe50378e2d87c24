"""Which guilds this gateway process serves: Discord's shard formula over the configured shard ids. The event and
voice-request consumers (and the Discord edge's listener counts) act only on these guilds."""

from __future__ import annotations

from dataclasses import dataclass

from shared.settings import GatewaySettings


@dataclass(frozen=True, slots=True)
class ShardFilter:
    shard_count: int | None
    shard_ids: frozenset[int] | None
    """None: every shard of `shard_count`."""

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> ShardFilter:
        if settings.shard_count is None:
            if settings.shard_ids:
                raise ValueError("ENCORE_GATEWAY__SHARD_IDS needs ENCORE_GATEWAY__SHARD_COUNT")
            return cls(None, None)
        ids = None if settings.shard_ids is None else frozenset(settings.shard_ids)
        if ids is not None and any(not 0 <= shard < settings.shard_count for shard in ids):
            raise ValueError(f"shard ids must be between 0 and {settings.shard_count - 1}")
        return cls(settings.shard_count, ids)

    def shard_of(self, guild_id: int) -> int:
        return 0 if not self.shard_count else (guild_id >> 22) % self.shard_count

    def serves(self, guild_id: int) -> bool:
        if self.shard_count is None or self.shard_ids is None:
            return True
        return self.shard_of(guild_id) in self.shard_ids

    @property
    def key(self) -> str:
        """A stable name for this process's shard set (for its stored cursors)."""
        if self.shard_count is None:
            return "all"
        ids = "all" if self.shard_ids is None else "-".join(str(shard) for shard in sorted(self.shard_ids))
        return f"{self.shard_count}:{ids}"
