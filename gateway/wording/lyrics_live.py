"""How `/lyrics live` reads: the line sung now between the one before and the one after, and why it ended."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from enum import StrEnum
from typing import Final

from gateway.wording.formatting import clip, duration, escape
from gateway.wording.language import mark, tr
from gateway.wording.reply import Card, Reply
from shared.lyrics import LyricLine, Lyrics

GAP: Final = "♪"
"""Shown for an empty synced line (an instrumental passage) and as the current line before the first one."""
_COLOUR: Final = 0x1DB954


class LiveEnd(StrEnum):
    TRACK_CHANGED = "track_changed"
    STOPPED = "stopped"
    TIME_UP = "time_up"
    """Discord lets a reply be edited for 15 minutes."""
    UNAVAILABLE = "unavailable"
    """The player's state or the message could not be read or edited."""


END_WORDS: Final[dict[LiveEnd, str]] = {
    LiveEnd.TRACK_CHANGED: mark("Live lyrics ended: the track changed. Run `/lyrics live` again for the new one."),
    LiveEnd.STOPPED: mark("Live lyrics ended: nothing is playing any more."),
    LiveEnd.TIME_UP: mark("Live lyrics ended after 14 minutes (Discord's limit for editing a reply)."),
    LiveEnd.UNAVAILABLE: mark("Live lyrics ended: the player could not be followed. Run `/lyrics live` again."),
}


def current_index(lines: Sequence[LyricLine], position_ms: int) -> int:
    """The index of the line sung at `position_ms`: the last one that started; -1 before the first."""
    return bisect.bisect_right([line.at_ms for line in lines], position_ms) - 1


def _line(lines: Sequence[LyricLine], index: int) -> str:
    """The line's text (GAP for an empty one); "" outside the song."""
    if not 0 <= index < len(lines):
        return ""
    return escape(lines[index].text) or GAP


def live_view(lyrics: Lyrics, position_ms: int, *, paused: bool) -> Reply:
    """Three lines: the previous (plain), the current (bold, ▶) and the next; the position in the footer."""
    lines = lyrics.synced
    index = current_index(lines, position_ms)
    current = _line(lines, index) or GAP
    body = f"{_line(lines, index - 1)}\n**▶ {current}**\n{_line(lines, index + 1)}".strip("\n")
    state = tr("⏸ Paused") if paused else tr("🎤 Live")
    total = f" / {duration(lyrics.duration_ms)}" if lyrics.duration_ms is not None else ""
    footer = f"{state} · {duration(position_ms)}{total} · LRCLIB"
    return Reply(card=Card(title=_title(lyrics), description=body, footer=footer, colour=_COLOUR))


def live_ended(lyrics: Lyrics, why: LiveEnd) -> Reply:
    return Reply(card=Card(title=_title(lyrics), description=tr(END_WORDS[why]), footer="LRCLIB", colour=_COLOUR))


def _title(lyrics: Lyrics) -> str:
    return clip(f"{lyrics.title} — {lyrics.artist}" if lyrics.artist else lyrics.title, 250)
