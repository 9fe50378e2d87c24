"""Saved playlists on the wire and in Redis: who owns one, its stored description, the export/import document, and
the import job's request and result.

A playlist belongs to one owner: a member (personal: it follows the member to every server) or a guild (shared by
its members, changed by its DJs). Its entries are `Track`s: what a queue item keeps of a track, never a stream URL.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Final, Literal

from pydantic import Field, model_validator

from shared.failures import Problem
from shared.models import MAX_URL_LENGTH, ItemId, Snowflake, Track, WireModel

MAX_PLAYLIST_NAME: Final = 50
MAX_SAVED_ENTRIES: Final = 5000
"""The highest limit an operator may set for entries per playlist (`GatewaySettings.playlist_entries`)."""
MAX_IMPORT_BYTES: Final = 8 * 1024 * 1024
"""The highest limit an operator may set for an imported file (`GatewaySettings.playlist_file_bytes`)."""
DOCUMENT_FORMAT: Final = "encore.playlist"

PlaylistName = Annotated[str, Field(min_length=1, max_length=MAX_PLAYLIST_NAME)]


class OwnerKind(StrEnum):
    MEMBER = "member"
    GUILD = "guild"


class PlaylistOwner(WireModel):
    """Whose playlists: a member's (`id` is the user id) or a guild's (`id` is the guild id)."""

    kind: OwnerKind
    id: Snowflake


class PlaylistMeta(WireModel):
    """One playlist's entry in its owner's index (`Keys.playlists`); the entries are a list of their own
    (`Keys.playlist_entries` by `id`), so renaming never copies them."""

    id: ItemId
    name: PlaylistName
    created_by: Snowflake
    created_at_ms: int = Field(ge=0)


class PlaylistDocument(WireModel):
    """The JSON a playlist is exported as and imported from (`/playlist export`, `/playlist import`)."""

    format: Literal["encore.playlist"] = DOCUMENT_FORMAT
    version: Literal[1] = 1
    name: PlaylistName
    tracks: tuple[Track, ...] = Field(max_length=MAX_SAVED_ENTRIES)


class AttachmentRef(WireModel):
    """A file a member attached to `/playlist import`, as Discord describes it (size before any download)."""

    url: str = Field(min_length=1, max_length=MAX_URL_LENGTH)
    filename: str = Field(min_length=1, max_length=1024)
    size: int = Field(ge=0)


class ImportRequest(WireModel):
    """Read the entries of an attached file or of a link (a playlist, a track, or search text); exactly one."""

    attachment: AttachmentRef | None = None
    link: str | None = Field(default=None, min_length=1, max_length=MAX_URL_LENGTH)
    max_entries: int = Field(ge=1, le=MAX_SAVED_ENTRIES)
    max_bytes: int = Field(ge=1, le=MAX_IMPORT_BYTES)

    @model_validator(mode="after")
    def _one_source(self) -> ImportRequest:
        if (self.attachment is None) == (self.link is None):
            raise ValueError("exactly one of attachment and link")
        return self


class ImportStatus(StrEnum):
    FOUND = "found"
    NOT_ALLOWED = "not_allowed"
    """The file is not on Discord's CDN (an attachment URL of another host)."""
    TOO_LARGE = "too_large"
    """The file is larger than `max_bytes` (`ImportResult.count` is its size when known)."""
    TOO_MANY = "too_many"
    """More than `max_entries` entries (`ImportResult.count` says how many, when known)."""
    MALFORMED = "malformed"
    """Neither a playlist document (JSON of the schema) nor an M3U/PLS list of links (`ImportResult.line`)."""
    REFUSED = "refused"
    """The link, or `ImportResult.count` entries of the file, point where encore may not go (`problem`)."""
    NOTHING_FOUND = "nothing_found"
    """No entries (an empty file or playlist, or a search without results)."""
    FAILED = "failed"
    """The file or link could not be read (`problem`)."""


class ImportResult(WireModel):
    status: ImportStatus
    tracks: tuple[Track, ...] = Field(default=(), max_length=MAX_SAVED_ENTRIES + 1)
    """FOUND: the entries (a source read up to one more than the limit, so that a longer one is TOO_MANY)."""
    title: str | None = Field(default=None, max_length=256)
    """The playlist's own title (a document's name, a remote playlist's title)."""
    problem: Problem | None = None
    count: int | None = Field(default=None, ge=0)
    line: int | None = Field(default=None, ge=1)
    """For MALFORMED: the first line (M3U) that is not a link, when that is what is wrong."""
