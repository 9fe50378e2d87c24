"""Plumbing for guild players: their configuration, their inbox messages, and the stores they write through."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, Final

from shared.active_store import ActiveGuildStore
from shared.command_store import CommandStore, StreamEntry
from shared.event_store import EventStore
from shared.player_store import PlayerStore
from shared.queue_store import QueueStore
from shared.settings_store import SettingsStore

_log: Final = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PlayerConfig:
    checkpoint_ms: int = 500
    voice_connect_timeout_s: float = 10.0
    settings_refresh_s: float = 5.0
    idle_poll_s: float = 1.0
    prepare_ahead_ms: int = 6000
    """Open the next track this long before the current one ends, so it follows without a gap."""
    lease_doubt_s: float = 6.0
    """How long a player holds its audio for a lease renewed late before it gives the guild up."""
    rejoin_backoff_s: tuple[float, float] = (1.0, 30.0)
    """A voice connection that gave up (NEEDS_REJOIN, FAILED) is asked to rejoin after this, doubling to the max."""
    max_crashes: int = 3
    """An item the player crashed on this many times is skipped (the supervisor restarts crashed players)."""


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


def now_ms() -> int:
    return int(time.time() * 1000)


class TaskSet:
    """Owns short background tasks; failures are logged, `cancel_all` ends the rest."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None], *, name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            _log.warning("%s failed: %r", task.get_name(), error)

    async def cancel_all(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()


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
