"""Guild leases and fences: acquire, renew (with the tick's position checkpoint), release, free a dead owner's."""

from __future__ import annotations

from typing import Final

ACQUIRE: Final = r"""
-- KEYS: lease, fence, handed_off   ARGV: owner, ttl_ms   -> false, or {token, 1 if the last owner handed it off}
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. token, 'PX', tonumber(ARGV[2]))
return {token, redis.call('DEL', KEYS[3])}
"""

_RENEW: Final = r"""
local function renew(lease, fence, value, ttl, token)
    local current = redis.call('GET', lease)
    if current == value then
        redis.call('PEXPIRE', lease, ttl)
        return 1
    end
    if not current and redis.call('GET', fence) == token then
        redis.call('SET', lease, value, 'PX', ttl)
        return 2
    end
    return 0
end
"""

RENEW: Final = (
    _RENEW
    + r"""
-- KEYS: lease, fence   ARGV: owner|token, ttl_ms, token   -> 0 lost, 1 renewed, 2 restored (expired, nobody took it)
return renew(KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2]), ARGV[3])
"""
)

RENEW_CHECKPOINT: Final = (
    _RENEW
    + r"""
-- KEYS: lease, fence, player   ARGV: owner|token, ttl_ms, token, checkpoint token, state json ('': none)
-- A worker's per-tick write of one guild: the lease renewal and, when one is due, the position checkpoint, each
-- under its own token (the checkpoint's is the token of the player that computed it: fenced as FENCED_SET is).
-- The hottest script of all (every playing guild, every tick): it defines no helpers it does not call.
-- -> {renewal (as RENEW), checkpoint: -1 none, 0 refused (stale token), 1 written}
local renewed = renew(KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2]), ARGV[3])
if ARGV[5] == '' then return {renewed, -1} end
if redis.call('GET', KEYS[2]) ~= ARGV[4] then return {renewed, 0} end
redis.call('SET', KEYS[3], ARGV[5])
return {renewed, 1}
"""
)

RELEASE: Final = r"""
-- KEYS: lease, handed_off   ARGV: owner|token, handoff mark ttl_ms (0: no mark)
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[2], '1', 'PX', tonumber(ARGV[2])) end
return 1
"""

RELEASE_DEAD: Final = r"""
-- KEYS: lease   ARGV: owner   -> 1 if `owner` held the lease and it is now free, else 0
-- Frees the lease of a worker whose process is known to be gone (its peer link closed and its port refuses), so
-- the guild is claimed at once instead of at the lease's expiry. The next ACQUIRE increments the fence.
local current = redis.call('GET', KEYS[1])
local holder = ARGV[1] .. '|'
if not current or string.sub(current, 1, #holder) ~= holder then return 0 end
redis.call('DEL', KEYS[1])
return 1
"""
