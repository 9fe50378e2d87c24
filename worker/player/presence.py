"""When a guild player goes on its own: it leaves a guild idle or alone too long, and it rejoins a voice connection
that gave up."""

from __future__ import annotations

import logging
from typing import Final

from shared.events import LeaveReason
from shared.models import GuildSettings
from worker.player.ports import VoicePort
from worker.voice.connection import VoiceStatus

_log: Final = logging.getLogger(__name__)
_GAVE_UP: Final = (VoiceStatus.FAILED, VoiceStatus.NEEDS_REJOIN)


class Presence:
    """Leave after the guild's idle timeout with nothing to play, or with nobody listening; never when always-on."""

    def __init__(self) -> None:
        self._idle_since: float | None = None
        self._alone_since: float | None = None

    def listeners(self, count: int, now: float) -> None:
        self._alone_since = now if count == 0 else None

    @property
    def alone(self) -> bool:
        """Nobody listens in the bot's channel (as last reported by the gateway)."""
        return self._alone_since is not None

    def joined(self) -> None:
        self._alone_since = None

    def idle(self, idle: bool, now: float) -> None:
        """Whether nothing plays (nor waits in the queue) in a voice channel."""
        self._idle_since = (self._idle_since or now) if idle else None

    def leave_reason(self, settings: GuildSettings, *, in_voice: bool, now: float) -> LeaveReason | None:
        if settings.always_on or not in_voice:
            return None
        limit = settings.idle_timeout_s
        if self._idle_since is not None and now - self._idle_since >= limit:
            return LeaveReason.IDLE
        if self._alone_since is not None and now - self._alone_since >= limit:
            return LeaveReason.ALONE
        return None


class Rejoiner:
    """When to ask again for a voice connection that gave up: at once, then with a doubling backoff."""

    def __init__(self, guild_id: int, backoff_s: tuple[float, float]) -> None:
        self._initial, self._max = backoff_s
        self._delay = 0.0
        self._next_at = 0.0
        self._extra = {"guild_id": guild_id}

    async def watch(self, voice: VoicePort, channel_id: int | None, now: float) -> None:
        """A voice connection that gave up is asked to rejoin (with backoff); playback holds meanwhile."""
        status = voice.status()
        if status is VoiceStatus.CONNECTED:
            self.connected()
        elif channel_id is not None and status in _GAVE_UP and self.due(now):
            _log.info("voice %s: asking to rejoin channel %d", status.value, channel_id, extra=self._extra)
            await voice.connect(channel_id)

    def due(self, now: float) -> bool:
        if now < self._next_at:
            return False
        self._next_at = now + self._delay
        self._delay = min(self._max, max(self._initial, self._delay * 2))
        return True

    def connected(self) -> None:
        self._delay = self._next_at = 0.0
