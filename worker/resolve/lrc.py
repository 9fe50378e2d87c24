"""LRC, the synced-lyrics format LRCLIB's `syncedLyrics` is written in: `[mm:ss.xx] words`, one line per line sung.

What is read: one or more time tags at the start of a line (`[01:02.50][01:40.00]Chorus` is sung at both times),
minutes of any length, seconds with none or up to three decimals (`.5` is 500 ms, `.05` 50 ms, `.050` 50 ms), a
`:` in place of the decimal point (some editors write it); the `[offset:±ms]` tag, which moves every line *earlier*
by that many milliseconds (positive) or later (negative), wherever it stands; and enhanced LRC's word stamps
(`<01:02.50>`), which are dropped from the text. Other tags (`[ar:…]`, `[ti:…]`) and lines with no time tag or a
malformed one are ignored: a bad line costs itself, never the song.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from shared.lyrics import MAX_LYRIC_LINE, MAX_SYNCED_LINES, LyricLine
from shared.models import MAX_DURATION_MS

_STAMP: Final = re.compile(r"\[(\d{1,4}):([0-5]?\d)(?:[.:](\d{1,3}))?\]", re.ASCII)
_OFFSET: Final = re.compile(r"^\s*\[offset:\s*([+-]?\d{1,7})\s*\]\s*$", re.IGNORECASE | re.ASCII)
_WORD_STAMP: Final = re.compile(r"<\d{1,4}:\d{1,2}(?:[.:]\d{1,3})?>", re.ASCII)


def _ms(minutes: str, seconds: str, fraction: str | None) -> int:
    fraction_ms = int(fraction.ljust(3, "0")) if fraction else 0
    return (int(minutes) * 60 + int(seconds)) * 1000 + fraction_ms


def _offset_ms(text: str) -> int:
    for line in text.splitlines():
        found = _OFFSET.match(line)
        if found is not None:
            return int(found.group(1))
    return 0


def clean_line(text: str) -> str:
    """Printable text only (no control or format characters), spaces collapsed, at most MAX_LYRIC_LINE."""
    kept = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text)
    return " ".join(_WORD_STAMP.sub("", kept).split())[:MAX_LYRIC_LINE]


def clean_plain(text: str) -> str:
    """Plain lyrics as shown: each line cleaned like a synced one (blank lines between verses kept)."""
    return "\n".join(clean_line(line) for line in text.splitlines()).strip("\n")


def _stamps(line: str) -> tuple[list[int], str] | None:
    """The times a line starts with and its text; None when it starts with no time tag."""
    times: list[int] = []
    rest = line.lstrip()
    while (found := _STAMP.match(rest)) is not None:
        times.append(_ms(*found.groups()))
        rest = rest[found.end() :].lstrip()
    return (times, rest) if times else None


def parse(text: str) -> tuple[LyricLine, ...]:
    """The lines in time order (lines at the same time keep their order), the offset applied, times clamped to
    0 … 24 h; at most MAX_SYNCED_LINES."""
    offset = _offset_ms(text)
    lines: list[tuple[int, int, str]] = []
    for number, raw in enumerate(text.splitlines()):
        parsed = _stamps(raw)
        if parsed is None:
            continue
        times, words = parsed
        words = clean_line(words)
        lines.extend((min(MAX_DURATION_MS, max(0, at - offset)), number, words) for at in times)
    lines.sort()
    return tuple(LyricLine(at_ms=at, text=words) for at, _, words in lines[:MAX_SYNCED_LINES])


def plain_text(lines: tuple[LyricLine, ...]) -> str:
    """The words of synced lines as plain lyrics (for a record that has no plain text of its own)."""
    return "\n".join(line.text for line in lines).strip()
