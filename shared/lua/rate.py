"""The per-member command rate limit: one counter per member and window (gateway/stores/rate.py)."""

from __future__ import annotations

from typing import Final

RATE_HIT: Final = r"""
-- A command counted in the member's window; the first one starts the window.  KEYS: the counter  ARGV: window ms
-- Returns {count in this window, ms until the window ends}.
local n = redis.call('INCR', KEYS[1])
if n == 1 or redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}
"""
