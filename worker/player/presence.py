"""When a guild player goes on its own: it leaves a guild idle or alone too long, and it rejoins a voice connection
that gave up."""

from __future__ import annotations

from shared.events import LeaveReason
from shared.models import GuildSettings


class Presence:
    """Leave after the guild's idle timeout with nothing to play, or with nobody listening; never when always-on."""

    def __init__(self) -> None:
        self._idle_since: float | None = None
        self._alone_since: float | None = None

    def listeners(self, count: int, now: float) -> None:
        self._alone_since = now if count == 0 else None

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
