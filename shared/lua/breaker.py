"""A search provider's circuit breaker, shared by every worker."""

from __future__ import annotations

from typing import Final

BREAKER_ALLOW: Final = r"""
-- May a search ask this provider now? (worker/resolve/breaker_store.py)  KEYS: the breaker HASH
-- ARGV: now ms, probe ms. Returns 0 closed (ask), 1 open (skip), 2 this caller probes it (the cool-down is over:
-- the first to ask after it gets the probe, and the breaker stays open for the others until the probe ends).
local open_until = tonumber(redis.call('HGET', KEYS[1], 'open_until') or '0')
if open_until == 0 then return 0 end
local now = tonumber(ARGV[1])
if now < open_until then return 1 end
redis.call('HSET', KEYS[1], 'open_until', now + tonumber(ARGV[2]), 'probing', 1)
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) * 2)
return 2
"""

BREAKER_BLOCKED: Final = r"""
-- A provider blocked a search or a stream.  KEYS: the breaker HASH
-- ARGV: now ms, threshold, window ms, cool-down ms. A block during a probe reopens the breaker at once; otherwise
-- blocks are counted in a window that starts with the first, and the threshold-th opens it.
-- Returns the open-until time in ms, or 0 while it stays closed.
local now, threshold = tonumber(ARGV[1]), tonumber(ARGV[2])
local window, cooldown = tonumber(ARGV[3]), tonumber(ARGV[4])
local open_until = tonumber(redis.call('HGET', KEYS[1], 'open_until') or '0')
local probing = redis.call('HGET', KEYS[1], 'probing')
if open_until > now and not probing then return open_until end
local failures
if probing then
    failures = threshold
else
    local since = tonumber(redis.call('HGET', KEYS[1], 'since') or '0')
    if now - since > window then
        redis.call('HSET', KEYS[1], 'since', now, 'failures', 0)
    end
    failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
end
if failures >= threshold then
    redis.call('HSET', KEYS[1], 'open_until', now + cooldown, 'failures', 0, 'since', now)
    redis.call('HDEL', KEYS[1], 'probing')
    redis.call('PEXPIRE', KEYS[1], cooldown + window)
    return now + cooldown
end
redis.call('PEXPIRE', KEYS[1], window)
return 0
"""
