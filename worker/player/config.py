"""Plumbing for guild players: their configuration, their inbox messages, and the stores they write through."""

from __future__ import annotations

from dataclasses import dataclass

from shared.active_store import ActiveGuildStore
from shared.command_store import CommandStore, StreamEntry
from shared.event_store import EventStore
from shared.player_store import PlayerStore
from shared.queue_store import QueueStore
from shared.settings import WorkerSettings
from shared.settings_store import SettingsStore


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
        )


@dataclass(frozen=True, slots=True)
class PlayerStores:
    players: PlayerStore
    queue: QueueStore
    settings: SettingsStore
    events: EventStore
    commands: CommandStore
    active: ActiveGuildStore


@dataclass(frozen=True, slots=True)
class CommandArrived:
    entry: StreamEntry


@dataclass(frozen=True, slots=True)
class TrackDone:
    generation: int
    error: str | None


@dataclass(frozen=True, slots=True)
class ItemFailed:
    """Item `uid` could not be played (already announced): move on, in order with the commands around it."""

    uid: str
    detail: str


@dataclass(frozen=True, slots=True)
class Halt:
    """Stop at the next safe point; `handoff` writes a final checkpoint and releases the guild."""

    handoff: bool


@dataclass(frozen=True, slots=True)
class LeaseDoubt:
    """The audio sink refused a frame (the lease was not renewed in time): look at the lease now."""


Inbox = CommandArrived | TrackDone | ItemFailed | Halt | LeaseDoubt


class Fenced(Exception):  # noqa: N818 - a signal, not an error condition of the caller
    """The fence rejected a write: another worker owns the guild now. Stop without touching anything."""


class Rejoiner:
    """When to ask again for a voice connection that gave up: at once, then with a doubling backoff."""

    def __init__(self, backoff_s: tuple[float, float]) -> None:
        self._initial, self._max = backoff_s
        self._delay = 0.0
        self._next_at = 0.0

    def due(self, now: float) -> bool:
        if now < self._next_at:
            return False
        self._next_at = now + self._delay
        self._delay = min(self._max, max(self._initial, self._delay * 2))
        return True

    def connected(self) -> None:
        self._delay = self._next_at = 0.0
