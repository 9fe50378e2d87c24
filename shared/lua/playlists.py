"""Saved playlists: create, append, remove, rename, delete, each checking that the playlist is the one read."""

from __future__ import annotations

from typing import Final

from shared.lua.helpers import HELPERS

_PLAYLIST_SAME: Final = r"""
local function same_playlist(index, name, meta)
    -- the playlist is still the one the caller read (not deleted, renamed or re-created meanwhile)
    return redis.call('HGET', index, name) == meta
end
"""

PLAYLIST_CREATE: Final = (
    HELPERS
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
    HELPERS
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
