"""Lua scripts behind every multi-step Redis change (atomic on one Redis and on a Cluster slot per guild), one module
per subsystem; every script is named here, so that callers write `lua.APPEND`.

Queue items are stored as compact JSON written by pydantic; scripts never decode them with cjson (that would
turn 64-bit snowflakes into doubles) but find the requester id with a pattern match.
"""

from __future__ import annotations

from shared.lua.breaker import BREAKER_ALLOW, BREAKER_BLOCKED
from shared.lua.leases import ACQUIRE, RELEASE, RELEASE_DEAD, RENEW, RENEW_CHECKPOINT
from shared.lua.player import ADVANCE, FENCED_CLEAR, FENCED_SET, PLAY_NOW, PREVIOUS
from shared.lua.playlists import PLAYLIST_APPEND, PLAYLIST_CREATE, PLAYLIST_DELETE, PLAYLIST_REMOVE, PLAYLIST_RENAME
from shared.lua.queue import APPEND, MOVE, RADIO_APPEND, REMOVE_AT, REMOVE_RADIO, REMOVE_UID, SHUFFLE
from shared.lua.rate import RATE_HIT
from shared.lua.rescue import RESCUE
from shared.lua.votes import SKIP_VOTE

__all__ = [
    "ACQUIRE",
    "ADVANCE",
    "APPEND",
    "BREAKER_ALLOW",
    "BREAKER_BLOCKED",
    "FENCED_CLEAR",
    "FENCED_SET",
    "MOVE",
    "PLAYLIST_APPEND",
    "PLAYLIST_CREATE",
    "PLAYLIST_DELETE",
    "PLAYLIST_REMOVE",
    "PLAYLIST_RENAME",
    "PLAY_NOW",
    "PREVIOUS",
    "RADIO_APPEND",
    "RATE_HIT",
    "RELEASE",
    "RELEASE_DEAD",
    "REMOVE_AT",
    "REMOVE_RADIO",
    "REMOVE_UID",
    "RENEW",
    "RENEW_CHECKPOINT",
    "RESCUE",
    "SHUFFLE",
    "SKIP_VOTE",
]
