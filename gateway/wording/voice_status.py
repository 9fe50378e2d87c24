"""The words of the voice channel's status: what members see under the channel name while a track plays."""

from __future__ import annotations

import unicodedata
from typing import Final

from gateway.wording.limits import VOICE_STATUS, cut
from shared.models import Track

_NOTE: Final = "♪"


def now_playing_status(track: Track) -> str:
    """`♪ <title> — <artist>` (without the artist when unknown), on one line, cut to VOICE_STATUS characters.

    Titles come from the internet: line breaks become spaces and other control and format characters (bidi
    overrides, zero-width joiners used to hide text) are dropped, since the status is one line of plain text.
    """
    text = f"{_NOTE} {_one_line(track.title)}".rstrip()
    if track.artist and (artist := _one_line(track.artist)):
        text = f"{text} — {artist}"
    return cut(text, VOICE_STATUS)


def _one_line(text: str) -> str:
    spaced = "".join(" " if c in "\r\n\t" else c for c in text)
    kept = "".join(c for c in spaced if unicodedata.category(c) not in ("Cc", "Cf"))
    return " ".join(kept.split())
