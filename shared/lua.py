"""Lua scripts behind every multi-step Redis change (atomic on one Redis and on a Cluster slot per guild).

Queue items are stored as compact JSON written by pydantic; scripts never decode them with cjson (that would
turn 64-bit snowflakes into doubles) but find the requester id with a pattern match.
"""

from __future__ import annotations

from typing import Final

_HELPERS: Final = r"""
local function requester(item)
    return string.match(item, '"requester_id":(%d+)')
end
local function is_radio(item)
    return string.find(item, '"autoplay":true', 1, true) ~= nil
end
local function share_add(shares, item, delta)
    if is_radio(item) then return end
    local who = requester(item)
    if who then
        local left = redis.call('HINCRBY', shares, who, delta)
        if left <= 0 then redis.call('HDEL', shares, who) end
    end
end
local function push_many(cmd, key, values, first, last)
    local i = first
    while i <= last do
        local j = math.min(i + 999, last)
        redis.call(cmd, key, unpack(values, i, j))
        i = j + 1
    end
end
local function radio_start(queue, qlen)
    -- the index of the first item of the autoplayed run at the end of the queue; qlen when there is none
    local last = redis.call('LINDEX', queue, -1)
    if not last or not is_radio(last) then return qlen end
    local items = redis.call('LRANGE', queue, 0, -1)
    local start = #items
    while start > 0 and is_radio(items[start]) do start = start - 1 end
    return start
end
local function fence_ok(fence_key, token)
    return redis.call('GET', fence_key) == token
end
local function take_uid(queue, shares, uid)
    local needle = '"uid":"' .. uid .. '"'
    local items = redis.call('LRANGE', queue, 0, -1)
    for i, item in ipairs(items) do
        if string.find(item, needle, 1, true) then
            redis.call('LREM', queue, 1, item)
            share_add(shares, item, -1)
            return i - 1, item
        end
    end
    return nil, nil
end
"""

APPEND: Final = (
    _HELPERS
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
    _HELPERS
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
    _HELPERS
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
    _HELPERS
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
    _HELPERS
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

FENCED_SET: Final = (
    _HELPERS
    + r"""
-- KEYS: fence, player   ARGV: token, state json
if not fence_ok(KEYS[1], ARGV[1]) then return 0 end
redis.call('SET', KEYS[2], ARGV[2])
return 1
"""
)

ADVANCE: Final = (
    _HELPERS
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
    _HELPERS
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
    _HELPERS
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
    _HELPERS
    + r"""
-- KEYS: fence, player, queue, shares   ARGV: token, state json
if not fence_ok(KEYS[1], ARGV[1]) then return 0 end
redis.call('DEL', KEYS[3], KEYS[4])
redis.call('SET', KEYS[2], ARGV[2])
return 1
"""
)

RESCUE: Final = r"""
-- Frees the jobs of a worker that stopped beating (worker/ownership/job_rescue.py): deletes arq's in-progress
-- marker of each of its recorded jobs, so arq runs them again. The markers are arq's keys (ARGV[3] .. job id),
-- not encore's.
-- KEYS: workers (ZSET id -> heartbeat ms), the dead worker's jobs SET   ARGV: worker id, dead before (ms), prefix
local beat = redis.call('ZSCORE', KEYS[1], ARGV[1])
if beat and tonumber(beat) >= tonumber(ARGV[2]) then return -1 end
local ids = redis.call('SMEMBERS', KEYS[2])
for _, id in ipairs(ids) do redis.call('DEL', ARGV[3] .. id) end
redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[1], ARGV[1])
return #ids
"""

SKIP_VOTE: Final = r"""
-- One member's vote to skip the now-playing item (gateway/stores/votes.py), counted atomically so that two votes
-- arriving together cannot both miss the threshold, and the skip is claimed by exactly one of them.
-- KEYS: the item's vote SET   ARGV: voter id, votes needed, ttl ms, passed marker, listener id...
-- Only votes of current listeners count (a member who left or deafened since no longer does).
-- Returns {outcome, votes}: outcome 0 counted, 1 already voted, 2 passed (the caller skips), 3 passed before.
local added = redis.call('SADD', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local votes = 0
if #ARGV > 4 then
    for _, present in ipairs(redis.call('SMISMEMBER', KEYS[1], unpack(ARGV, 5))) do votes = votes + present end
end
if votes >= tonumber(ARGV[2]) then
    if redis.call('SADD', KEYS[1], ARGV[4]) == 1 then return {2, votes} end
    return {3, votes}
end
if redis.call('SISMEMBER', KEYS[1], ARGV[4]) == 1 then return {3, votes} end
if added == 0 then return {1, votes} end
return {0, votes}
"""

_PLAYLIST_SAME: Final = r"""
local function same_playlist(index, name, meta)
    -- the playlist is still the one the caller read (not deleted, renamed or re-created meanwhile)
    return redis.call('HGET', index, name) == meta
end
"""

PLAYLIST_CREATE: Final = (
    _HELPERS
    + r"""
-- A new saved playlist (gateway/stores/playlists.py) with its entries, within the owner's playlist limit.
-- KEYS: the owner's index HASH, the playlist's entry LIST   ARGV: name key, meta JSON, max playlists, entry...
-- Returns 0 created, 1 the name is taken, 2 the owner has max playlists.
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 1 end
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return 2 end
redis.call('DEL', KEYS[2])
if #ARGV > 3 then push_many('RPUSH', KEYS[2], ARGV, 4, #ARGV) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 0
"""
)

PLAYLIST_APPEND: Final = (
    _HELPERS
    + _PLAYLIST_SAME
    + r"""
-- Entries added at the end of a saved playlist, all or none, within the entry limit.
-- KEYS: index, entry LIST   ARGV: name key, meta JSON as read, max entries, entry...
-- Returns {0, new length}, {1, 0} the playlist changed meanwhile, {2, length} the entries would not fit.
if not same_playlist(KEYS[1], ARGV[1], ARGV[2]) then return {1, 0} end
local length = redis.call('LLEN', KEYS[2])
local adding = #ARGV - 3
if length + adding > tonumber(ARGV[3]) then return {2, length} end
if adding > 0 then push_many('RPUSH', KEYS[2], ARGV, 4, #ARGV) end
return {0, length + adding}
"""
)

PLAYLIST_REMOVE: Final = (
    _PLAYLIST_SAME
    + r"""
-- One entry taken out of a saved playlist by its index.
-- KEYS: index, entry LIST   ARGV: name key, meta JSON as read, 0-based index, a tombstone no entry can equal
-- Returns {0, the entry}, {1} the playlist changed meanwhile, {2} no entry at that index.
if not same_playlist(KEYS[1], ARGV[1], ARGV[2]) then return {1} end
local entry = redis.call('LINDEX', KEYS[2], ARGV[3])
if not entry then return {2} end
redis.call('LSET', KEYS[2], ARGV[3], ARGV[4])
redis.call('LREM', KEYS[2], 1, ARGV[4])
return {0, entry}
"""
)

PLAYLIST_RENAME: Final = (
    _PLAYLIST_SAME
    + r"""
-- A saved playlist under a new name (its entries stay where they are).
-- KEYS: index   ARGV: old name key, meta JSON as read, new name key, new meta JSON
-- Returns 0 renamed, 1 the playlist changed meanwhile, 2 the new name is taken.
if not same_playlist(KEYS[1], ARGV[1], ARGV[2]) then return 1 end
if ARGV[3] ~= ARGV[1] and redis.call('HEXISTS', KEYS[1], ARGV[3]) == 1 then return 2 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[3], ARGV[4])
return 0
"""
)

PLAYLIST_DELETE: Final = (
    _PLAYLIST_SAME
    + r"""
-- A saved playlist and its entries deleted.
-- KEYS: index, entry LIST   ARGV: name key, meta JSON as read
-- Returns 0 deleted, 1 the playlist changed meanwhile.
if not same_playlist(KEYS[1], ARGV[1], ARGV[2]) then return 1 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
return 0
"""
)

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
