"""The files `/playlist export` attaches: the playlist document (JSON of `PlaylistDocument`, what `/playlist
import` reads back exactly) and an extended M3U for other players (links, titles, durations in seconds)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from shared.models import Track
from shared.playlists import PlaylistDocument

_UNSAFE: Final = re.compile(r"[^A-Za-z0-9._-]+")
_LINE_BREAKS: Final = re.compile(r"[\r\n\u2028\u2029\x85]+")


def document(name: str, tracks: Sequence[Track]) -> bytes:
    return PlaylistDocument(name=name, tracks=tuple(tracks)).model_dump_json(indent=2, exclude_defaults=False).encode()


def m3u(tracks: Sequence[Track]) -> bytes:
    """`#EXTINF:<seconds>,<title>` then the link, per track; an unknown length is -1, as M3U has it."""
    lines = ["#EXTM3U"]
    for track in tracks:
        seconds = _seconds(track.duration_ms) if track.duration_ms is not None else "-1"
        lines += [f"#EXTINF:{seconds},{_LINE_BREAKS.sub(' ', track.title)}", track.url]
    return ("\n".join(lines) + "\n").encode()


def _seconds(ms: int) -> str:
    """Milliseconds as seconds without losing any (`61.5`, `183.456`, `240`)."""
    whole, rest = divmod(ms, 1000)
    return f"{whole}.{rest:03d}".rstrip("0").rstrip(".") if rest else str(whole)


def stem(name: str) -> str:
    """A file name's stem for a playlist: ASCII letters, digits, `.`, `_` and `-` (else `playlist`)."""
    return _UNSAFE.sub("_", name).strip("._-")[:40] or "playlist"
