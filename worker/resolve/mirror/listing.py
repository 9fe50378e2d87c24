"""What a mirrored service said about one link, as encore keeps it (cached in Redis, `Keys.mirror_meta`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from shared.models import ISRC_PATTERN, MAX_TITLE_LENGTH, MAX_URL_LENGTH, MirrorService, Track, WireModel
from worker.resolve.tracks import clean_text, duration_ms


class MirrorListing(WireModel):
    """The tracks of a link (one for a track link), in the service's order."""

    title: str | None = Field(default=None, max_length=MAX_TITLE_LENGTH)
    """The album's, playlist's or artist's name; None for a single track."""
    tracks: tuple[Track, ...] = ()
    total: int | None = Field(default=None, ge=0)
    """How many tracks the service says the list has (more than `tracks` when it was cut)."""
    cut_at: int | None = Field(default=None, ge=0)
    """The service's public page lists only this many (Spotify's embed page: 100)."""


def mirror_track(  # noqa: PLR0913 - keyword-only, one per field a service gives
    service: MirrorService,
    *,
    url: str,
    title: object,
    artists: list[object],
    album: object = None,
    seconds: object = None,
    millis: object = None,
    isrc: object = None,
    artwork: object = None,
) -> Track | None:
    """A mirrored track from a service's fields, read defensively; None without a title."""
    name = clean_text(title)
    if name is None or len(url) > MAX_URL_LENGTH:
        return None
    names = tuple(dict.fromkeys(n for a in artists[:16] if (n := clean_text(a)) is not None))
    length = duration_ms(millis / 1000) if isinstance(millis, int | float) and not isinstance(millis, bool) else None
    code = isrc.strip().upper() if isinstance(isrc, str) else None
    picture = artwork if isinstance(artwork, str) and artwork.startswith("https://") else None
    return Track(
        url=url,
        title=name,
        duration_ms=length if length is not None else duration_ms(seconds),
        artist=clean_text(", ".join(names)),
        artists=names,
        album=clean_text(album),
        isrc=code if code is not None and re.match(ISRC_PATTERN, code) else None,
        artwork_url=picture if picture is not None and len(picture) <= MAX_URL_LENGTH else None,
        mirror=service,
        extractor=service.value,
    )


def list_at(raw: Mapping[str, Any], key: str) -> list[Any]:
    """`raw[key]` when it is a list, else [] (services' answers are read defensively)."""
    value = raw.get(key)
    return value if isinstance(value, list) else []


def dict_at(raw: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = raw.get(key)
    return value if isinstance(value, dict) else {}
