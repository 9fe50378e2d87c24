"""Lua helpers the queue, player and playlist scripts share (prepended to each script that uses them)."""

from __future__ import annotations

from typing import Final

HELPERS: Final = r"""
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
