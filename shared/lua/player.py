"""The player state, written only under the writer's fence: set, advance, previous, play now, clear."""

from __future__ import annotations

from typing import Final

from shared.lua.helpers import HELPERS

FENCED_SET: Final = (
    HELPERS
    + r"""
-- KEYS: fence, player   ARGV: token, state json
if not fence_ok(KEYS[1], ARGV[1]) then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
return 1
"""
)

ADVANCE: Final = (
    HELPERS
    + r"""
-- KEYS: fence, player, queue, history, shares
-- ARGV: token, finished item json or '', mode ('history' | 'requeue' | 'drop'), history cap, skip extra,
--       state prefix, state suffix
-- Finishes the current item, drops `skip extra` more queued items (never played: not into history),
-- pops the next item and stores the player
-- state with it as now_playing (prefix .. item .. suffix), all or nothing.
if not fence_ok(KEYS[1], ARGV[1]) then return {0, false} end
local queue, history, shares = KEYS[3], KEYS[4], KEYS[5]
local finished, mode, cap, extra = ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local function retire(item)
    if mode == 'requeue' then
        redis.call('RPUSH', queue, item)
        share_add(shares, item, 1)
    elseif mode == 'history' then
        redis.call('LPUSH', history, item)
    end
end
if finished ~= '' then retire(finished) end
for _ = 1, extra do
    local skipped = redis.call('LPOP', queue)
    if not skipped then break end
    share_add(shares, skipped, -1)
    if mode == 'requeue' then retire(skipped) end
end
redis.call('LTRIM', history, 0, cap - 1)
local nxt = redis.call('LPOP', queue)
if nxt then share_add(shares, nxt, -1) end
redis.call('SET', KEYS[2], ARGV[6] .. (nxt or 'null') .. ARGV[7])
return {1, nxt or false}
"""
)

PREVIOUS: Final = (
    HELPERS
    + r"""
-- KEYS: fence, player, queue, history, shares   ARGV: token, current item json or '', state prefix, suffix
-- The newest history item becomes now_playing; the current item goes back to the front of the queue.
if not fence_ok(KEYS[1], ARGV[1]) then return {0, false} end
local prev = redis.call('LPOP', KEYS[4])
if not prev then return {1, false} end
if ARGV[2] ~= '' then
    redis.call('LPUSH', KEYS[3], ARGV[2])
    share_add(KEYS[5], ARGV[2], 1)
end
redis.call('SET', KEYS[2], ARGV[3] .. prev .. ARGV[4])
return {1, prev}
"""
)

PLAY_NOW: Final = (
    HELPERS
    + r"""
-- KEYS: fence, player, queue, history, shares   ARGV: token, uid, current item json or '', history cap, prefix, suffix
if not fence_ok(KEYS[1], ARGV[1]) then return {0, false} end
local _, item = take_uid(KEYS[3], KEYS[5], ARGV[2])
if not item then return {1, false} end
if ARGV[3] ~= '' then
    redis.call('LPUSH', KEYS[4], ARGV[3])
    redis.call('LTRIM', KEYS[4], 0, tonumber(ARGV[4]) - 1)
end
redis.call('SET', KEYS[2], ARGV[5] .. item .. ARGV[6])
return {1, item}
"""
)

FENCED_CLEAR: Final = (
    HELPERS
    + r"""
-- KEYS: fence, player, queue, shares   ARGV: token, state json
if not fence_ok(KEYS[1], ARGV[1]) then return 0 end
redis.call('DEL', KEYS[3], KEYS[4])
redis.call('SET', KEYS[2], ARGV[2])
return 1
"""
)
