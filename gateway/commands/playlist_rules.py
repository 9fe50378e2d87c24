"""Saved playlists' pure rules: whose playlists a command means, who may change them, names, positions, limits.

- `mine` (the default) is the member's own playlists, which follow them to every server; `server` is the guild's.
- Anyone may list, show, export and load a guild's playlists; changing them (save, add, remove, rename, delete,
  import) needs the DJ role (or Manage Server; without a DJ role everyone counts, as for the other DJ commands).
  A member's own playlists are theirs alone.
- A name is trimmed, its runs of whitespace made one space; it has 1 to 50 characters, no control or format
  characters; names are unique per owner whatever their case.
- A playlist holds at most `playlist_entries` tracks and an owner at most `playlists_per_owner` playlists: a change
  that would go beyond either is refused whole (nothing is cut off silently).
"""

from __future__ import annotations

import unicodedata
from enum import StrEnum

from gateway.commands.invocation import Invocation
from gateway.commands.permissions import require_dj
from gateway.wording import playlists as words
from gateway.wording.language import tr
from shared.errors import InvalidInputError
from shared.models import GuildSettings
from shared.playlists import MAX_PLAYLIST_NAME, OwnerKind, PlaylistOwner


class Scope(StrEnum):
    MINE = "mine"
    SERVER = "server"


def parse_scope(raw: str | None) -> Scope:
    if raw is None:
        return Scope.MINE
    try:
        return Scope(raw)
    except ValueError:
        raise InvalidInputError(tr(words.BAD_SCOPE)) from None


def owner_of(scope: Scope, invocation: Invocation) -> PlaylistOwner:
    return owner_for(scope, invocation.guild_id, invocation.actor.user_id)


def owner_for(scope: Scope, guild_id: int, user_id: int) -> PlaylistOwner:
    if scope is Scope.SERVER:
        return PlaylistOwner(kind=OwnerKind.GUILD, id=guild_id)
    return PlaylistOwner(kind=OwnerKind.MEMBER, id=user_id)


def require_change(scope: Scope, invocation: Invocation, settings: GuildSettings) -> None:
    """Raise PermissionDeniedError unless the member may change the playlists of `scope`."""
    if scope is Scope.SERVER:
        require_dj(invocation.actor, settings, words.CHANGE_SERVER)


def parse_name(raw: str | None) -> str:
    name = " ".join((raw or "").split())
    if not name:
        raise InvalidInputError(tr(words.NAME_EMPTY))
    if len(name) > MAX_PLAYLIST_NAME:
        raise InvalidInputError(words.name_too_long(len(name), MAX_PLAYLIST_NAME))
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in name):
        raise InvalidInputError(tr(words.NAME_CHARACTERS))
    return name


def name_from(title: str | None) -> str | None:
    """A name made from a file's or a remote playlist's own title, None when nothing usable is left."""
    kept = "".join(c for c in " ".join((title or "").split()) if unicodedata.category(c) not in ("Cc", "Cf"))
    return kept[:MAX_PLAYLIST_NAME].strip() or None


def parse_position(raw: int, total: int) -> int:
    """A 1-based entry number -> its 0-based index in a playlist of `total` entries."""
    if raw < 1:
        raise InvalidInputError(tr(words.POSITION_START))
    if raw > total:
        raise InvalidInputError(words.no_entry(raw, total))
    return raw - 1


def require_fits(count: int, limit: int) -> None:
    """Raise unless a playlist of `count` entries is within the entry limit."""
    if count > limit:
        raise InvalidInputError(words.too_many_entries(count, limit))
