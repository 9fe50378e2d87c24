"""A guild's queue: appends (members' items before autoplayed ones, chunk cursors), radio, moves, removals, shuffle."""

from __future__ import annotations

from typing import Final

from shared.lua.helpers import HELPERS

APPEND: Final = (
    HELPERS
    + r"""
-- KEYS: queue, shares, request (or the queue key again when no request)
-- ARGV: position, max_len, max_per_user, requester, chunk_index (-1 = none), item...
-- `end` means before the autoplayed items at the end of the queue (at the very end when there are none).
local queue, shares, req = KEYS[1], KEYS[2], KEYS[3]
local position, max_len, max_user = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local who, chunk = ARGV[4], tonumber(ARGV[5])
local qlen = redis.call('LLEN', queue)
if chunk >= 0 then
    local expected = tonumber(redis.call('HGET', req, 'next_chunk') or '0')
    if chunk ~= expected then return {0, 1, qlen, ''} end
end
local wanted = #ARGV - 5
local n, limited = wanted, ''
local room_queue = max_len - qlen
local room_user = max_user - tonumber(redis.call('HGET', shares, who) or '0')
if room_user < n then n = room_user; limited = 'user_share' end
if room_queue < n then n = room_queue; limited = 'queue' end
if n < 0 then n = 0 end
local items = {}
for i = 1, n do items[i] = ARGV[5 + i] end
if n > 0 then
    local after, at_end = -1, position == 'end'
    if at_end then
        -- members' items go before the autoplayed ones (the radio plays when the members' tracks ran out)
        local start = radio_start(queue, qlen)
        if start < qlen then at_end = false; after = start - 1 end
    elseif chunk > 0 then
        local pivot = redis.call('HGET', req, 'last')
        if pivot then after = redis.call('LPOS', queue, pivot) or -1 end
    end
    if at_end then
        push_many('RPUSH', queue, items, 1, n)
    elseif after >= 0 then
        local tail = redis.call('LRANGE', queue, after + 1, -1)
        redis.call('LTRIM', queue, 0, after)
        push_many('RPUSH', queue, items, 1, n)
        if #tail > 0 then push_many('RPUSH', queue, tail, 1, #tail) end
    else
        local reversed = {}
        for i = 1, n do reversed[i] = items[n + 1 - i] end
        push_many('LPUSH', queue, reversed, 1, n)
    end
    redis.call('HINCRBY', shares, who, n)
end
if chunk >= 0 then
    redis.call('HSET', req, 'next_chunk', chunk + 1)
    redis.call('HINCRBY', req, 'queued', n)
    if n > 0 then redis.call('HSET', req, 'last', items[n]) end
    if limited ~= '' then redis.call('HSET', req, 'limited_by', limited) end
end
return {n, 0, qlen + n, limited}
"""
)

RADIO_APPEND: Final = (
    HELPERS
    + r"""
-- KEYS: fence, queue   ARGV: token, max_len, item...   -> -1 fenced out, else how many were appended
-- The owner's autoplay refill: marked items at the very end, within the queue's length limit, counted against
-- no member's share.
if not fence_ok(KEYS[1], ARGV[1]) then return -1 end
local room = tonumber(ARGV[2]) - redis.call('LLEN', KEYS[2])
local n = 0
for i = 3, #ARGV do
    if n >= room then break end
    if is_radio(ARGV[i]) then
        redis.call('RPUSH', KEYS[2], ARGV[i])
        n = n + 1
    end
end
return n
"""
)

REMOVE_RADIO: Final = (
    HELPERS
    + r"""
-- KEYS: queue   -> how many autoplayed items were removed (members' items stay, in their order)
local items = redis.call('LRANGE', KEYS[1], 0, -1)
local kept, removed = {}, 0
for _, item in ipairs(items) do
    if is_radio(item) then removed = removed + 1 else kept[#kept + 1] = item end
end
if removed > 0 then
    redis.call('DEL', KEYS[1])
    push_many('RPUSH', KEYS[1], kept, 1, #kept)
end
return removed
"""
)

REMOVE_AT: Final = (
    HELPERS
    + r"""
-- KEYS: queue, shares   ARGV: index (0-based)
local item = redis.call('LINDEX', KEYS[1], tonumber(ARGV[1]))
if not item then return false end
redis.call('LSET', KEYS[1], tonumber(ARGV[1]), '\0removed')
redis.call('LREM', KEYS[1], 1, '\0removed')
share_add(KEYS[2], item, -1)
return item
"""
)

REMOVE_UID: Final = (
    HELPERS
    + r"""
-- KEYS: queue, shares   ARGV: uid
local index, item = take_uid(KEYS[1], KEYS[2], ARGV[1])
if not item then return false end
return {index, item}
"""
)

MOVE: Final = r"""
-- KEYS: queue   ARGV: from, to (0-based; `to` is the final index of the item)
local queue, from, to = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
local item = redis.call('LINDEX', queue, from)
if not item then return false end
redis.call('LSET', queue, from, '\0moving')
redis.call('LREM', queue, 1, '\0moving')
local pivot = redis.call('LINDEX', queue, to)
if pivot then
    redis.call('LINSERT', queue, 'BEFORE', pivot, item)
else
    redis.call('RPUSH', queue, item)
end
return item
"""

SHUFFLE: Final = r"""
-- KEYS: queue   ARGV: seed (1 .. 2^31-2)
-- Fisher-Yates with the MINSTD generator: products stay below 2^53, so Lua's doubles are exact.
local items = redis.call('LRANGE', KEYS[1], 0, -1)
local state = tonumber(ARGV[1])
for i = #items, 2, -1 do
    state = (state * 48271) % 2147483647
    local j = (state % i) + 1
    items[i], items[j] = items[j], items[i]
end
if #items > 1 then
    redis.call('DEL', KEYS[1])
    local i = 1
    while i <= #items do
        local j = math.min(i + 999, #items)
        redis.call('RPUSH', KEYS[1], unpack(items, i, j))
        i = j + 1
    end
end
return #items
"""
