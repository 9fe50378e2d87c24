"""Plumbing for guild players: their configuration, their inbox messages, and the stores they write through."""

from __future__ import annotations

import time
from dataclasses import dataclass

from shared.active_store import ActiveGuildStore
from shared.command_store import CommandStore, StreamEntry
from shared.event_store import EventStore
from shared.player_store import PlayerStore
from shared.queue_store import QueueStore
from shared.settings_store import SettingsStore


@dataclass(frozen=True, slots=True)
class PlayerConfig:
    checkpoint_ms: int = 500
    voice_connect_timeout_s: float = 10.0
    settings_refresh_s: float = 5.0
    idle_poll_s: float = 1.0
    prepare_ahead_ms: int = 6000
    """Open the next track this long before the current one ends, so it follows without a gap."""


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
class Halt:
    """Stop at the next safe point; `handoff` writes a final checkpoint and releases the guild."""

    handoff: bool


Inbox = CommandArrived | TrackDone | Halt


class Fenced(Exception):  # noqa: N818 - a signal, not an error condition of the caller
    """The fence rejected a write: another worker owns the guild now. Stop without touching anything."""


def now_ms() -> int:
    return int(time.time() * 1000)
