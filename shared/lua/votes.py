"""Vote skip: a vote counted and the skip passed in one step."""

from __future__ import annotations

from typing import Final

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
