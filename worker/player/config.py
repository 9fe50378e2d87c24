"""What a guild player is built from: its tunables and the stores it writes through."""

from __future__ import annotations

from dataclasses import dataclass

from shared.active_store import ActiveGuildStore
from shared.command_store import CommandStore
from shared.event_store import EventStore
from shared.player_store import PlayerStore
from shared.queue_store import QueueStore
from shared.settings import WorkerSettings
from shared.settings_store import SettingsStore
from worker.player.ports import Checkpoints


@dataclass(frozen=True, slots=True)
class PlayerConfig:
    """A guild player's tunables; `from_settings` is the only place they are filled (WorkerSettings documents them)."""

    checkpoint_ms: int
    voice_connect_timeout_s: float
    settings_refresh_s: float
    idle_poll_s: float
    prepare_ahead_ms: int
    lease_doubt_s: float
    rejoin_backoff_s: tuple[float, float]
    """A voice connection that gave up (NEEDS_REJOIN, FAILED) is asked to rejoin after this, doubling to the max."""
    max_crashes: int
    """An item the player crashed on this many times is skipped (the supervisor restarts crashed players)."""
    autoplay_batch: int = 3
    """Tracks autoplay queues at a time (worker/player/radio.py)."""

    @classmethod
    def from_settings(cls, settings: WorkerSettings) -> PlayerConfig:
        return cls(
            checkpoint_ms=settings.checkpoint_interval_ms,
            voice_connect_timeout_s=settings.voice_connect_timeout_s,
            settings_refresh_s=settings.settings_refresh_s,
            idle_poll_s=settings.idle_poll_s,
            prepare_ahead_ms=settings.prepare_ahead_ms,
            lease_doubt_s=settings.lease_doubt_s,
            rejoin_backoff_s=(settings.rejoin_initial_s, settings.rejoin_max_s),
            max_crashes=settings.max_crashes_per_item,
            autoplay_batch=settings.autoplay_batch,
        )


@dataclass(frozen=True, slots=True)
class PlayerStores:
    players: PlayerStore
    queue: QueueStore
    settings: SettingsStore
    events: EventStore
    commands: CommandStore
    active: ActiveGuildStore
    checkpoints: Checkpoints
    """The worker's (batched into its renewals); `DirectCheckpoints(players)` writes each at once."""
