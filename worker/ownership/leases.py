"""A worker's view of one guild lease: may the player still act? (self-fencing, with Redis outages in mind)."""

from __future__ import annotations

import time
from typing import Final

from shared.lease_store import Lease

SAFETY_MS: Final = 300
"""Stop acting this long before the lease could have expired in Redis (renew send time + TTL)."""


class TrackedLease:
    """A lease plus the monotonic time of the last renewal that succeeded, for self-fencing.

    The owner acts only while `now - last successful renew sent < TTL - 300 ms`: a worker that was paused or cut off
    stops before another could have taken over. One exception: while Redis itself is down (the renewal's connection
    is refused or dropped, not merely slow), nobody can take the lease over, so the owner keeps playing what it has
    for up to `outage_grace_ms`. A timeout is never taken for an outage: that may be a partition.
    """

    def __init__(
        self, lease: Lease, ttl_ms: int, sent_at: float, *, outage_grace_ms: int = 0, handed_over: bool = False
    ) -> None:
        self.lease = lease
        self.handed_over = handed_over
        """The previous owner announced that it released the guild (a graceful stop), so this is no crash."""
        self.ttl_ms = ttl_ms
        self.renew_sent_at = sent_at
        self.lost = False
        self._outage_grace_s = outage_grace_ms / 1000
        self._down_since: float | None = None
        self._down_seen_at = 0.0

    @property
    def fence(self) -> int:
        return self.lease.fence

    def valid(self) -> bool:
        if self.lost:
            return False
        now = time.monotonic()
        if (now - self.renew_sent_at) * 1000 < self.ttl_ms - SAFETY_MS:
            return True
        return self._in_outage(now)

    def renewed(self, sent_at: float) -> None:
        self.renew_sent_at = sent_at
        self._down_since = None

    def redis_down(self, seen_at: float) -> None:
        """A renewal found Redis down (connection refused or closed): nobody can acquire the lease meanwhile."""
        if self._down_since is None:
            self._down_since = seen_at
        self._down_seen_at = seen_at

    def _in_outage(self, now: float) -> bool:
        if self._down_since is None:
            return False
        still_down = (now - self._down_seen_at) * 1000 < self.ttl_ms - SAFETY_MS
        return still_down and now - self._down_since < self._outage_grace_s
