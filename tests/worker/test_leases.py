"""Self-fencing: when a player may still act on its lease, including while Redis is down for everybody."""

from __future__ import annotations

import time

from shared.lease_store import Lease
from worker.ownership.leases import SAFETY_MS, TrackedLease

TTL_MS = 1500
GRACE_MS = 5000


def _lease(renewed_ago_s: float) -> TrackedLease:
    return TrackedLease(Lease(1, "w1", 3), TTL_MS, time.monotonic() - renewed_ago_s, outage_grace_ms=GRACE_MS)


def test_a_lease_is_valid_until_ttl_minus_the_safety_margin_after_the_last_renewal_was_sent() -> None:
    assert _lease(0.0).valid()
    assert _lease((TTL_MS - SAFETY_MS - 50) / 1000).valid()
    assert not _lease((TTL_MS - SAFETY_MS + 50) / 1000).valid()


def test_a_lost_lease_is_never_valid() -> None:
    lease = _lease(0.0)
    lease.lost = True
    assert not lease.valid()


def test_redis_down_for_everybody_keeps_the_owner_playing_within_the_grace() -> None:
    lease = _lease(3.0)
    assert not lease.valid()
    now = time.monotonic()
    lease.redis_down(now - 3.0)
    lease.redis_down(now)  # still refused just now
    assert lease.valid(), "nobody can take the lease over while Redis is down"


def test_the_outage_excuse_ends_with_the_grace_or_when_redis_was_last_seen_down_too_long_ago() -> None:
    now = time.monotonic()
    long_down = _lease(GRACE_MS / 1000 + 1)
    long_down.redis_down(now - GRACE_MS / 1000 - 0.5)
    long_down.redis_down(now)
    assert not long_down.valid(), "past the grace the owner goes silent"
    stale = _lease(3.0)
    stale.redis_down(now - 2.0)
    assert not stale.valid(), "an old refusal says nothing about now (Redis may be back and the lease taken)"


def test_a_successful_renewal_ends_the_outage() -> None:
    lease = _lease(3.0)
    lease.redis_down(time.monotonic())
    lease.renewed(time.monotonic() - 2.0)
    assert not lease.valid(), "back to the plain rule: the last renewal is too old"
