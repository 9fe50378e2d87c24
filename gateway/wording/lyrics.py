"""How `/lyrics` reads: the lyrics in pages (an embed each, paged like `/queue` with a `page` option), the
instrumental and not-found notes.

A page holds at most PAGE_CHARACTERS of (markdown-escaped) lyrics, well inside an embed's description
(limits.EMBED_DESCRIPTION), so a verse reads at a glance; pages break between verses (blank lines) when one ends in
the second half of a page, else between lines, and only a line longer than a page is cut inside.
"""

from __future__ import annotations

from typing import Final

from gateway.wording import failures
from gateway.wording.formatting import clip, duration, escape
from gateway.wording.language import mark, tr, trn
from gateway.wording.reply import Card, Reply
from shared.lyrics import Lyrics, LyricsResult, LyricsStatus

NOTHING_PLAYING: Final = mark("Nothing is playing right now. Name a song: `/lyrics query:` and its title (and artist).")
NOTHING_PLAYING_LIVE: Final = mark("Nothing is playing right now: live lyrics follow the track playing.")
NOT_SYNCED: Final = mark("LRCLIB has these lyrics without timings, so they can't follow the music: try `/lyrics`.")
TRACK_CHANGED: Final = mark("The track changed while the lyrics were looked up; run `/lyrics live` again.")
QUERY_AND_LIVE: Final = mark("Live lyrics follow the track playing: leave `query` and `page` out with `live`.")
TOO_SLOW: Final = mark("Looking the lyrics up is taking too long; please try again in a moment.")
PAGE_CHARACTERS: Final = 1800
SOURCE: Final = "LRCLIB"
_COLOUR: Final = 0x1DB954


def pages(text: str, size: int = PAGE_CHARACTERS) -> list[str]:
    """`text` in pages of at most `size` characters; at least one page."""
    result: list[str] = []
    current: list[str] = []
    length = 0
    for line in _lines(text, size):
        if current and length + len(line) + 1 > size:
            cut = _verse_end(current, size)
            result.append("\n".join(current[:cut]).strip("\n"))
            current = current[cut:]
            length = sum(len(kept) + 1 for kept in current)
        current.append(line)
        length += len(line) + 1
    result.append("\n".join(current).strip("\n"))
    return [page for page in result if page] or [""]


def _lines(text: str, size: int) -> list[str]:
    lines: list[str] = []
    for line in text.splitlines():
        lines.extend(line[start : start + size] for start in range(0, max(1, len(line)), size))
    return lines


def _verse_end(lines: list[str], size: int) -> int:
    """Where to end a full page: after its last blank line when that is in the second half of the page."""
    length = 0
    best = len(lines)
    for index, line in enumerate(lines):
        length += len(line) + 1
        if not line.strip() and length >= size // 2:
            best = index + 1
    return best


def _name(lyrics: Lyrics) -> str:
    return f"{lyrics.title} — {lyrics.artist}" if lyrics.artist else lyrics.title


def subject(title: str, artist: str | None = None) -> str:
    """What was looked for, as shown in a note: `**Title** by Artist` (escaped, clipped)."""
    shown = f"**{escape(clip(title))}**"
    return tr("{title} by {artist}", title=shown, artist=escape(clip(artist, 60))) if artist else shown


def quoted(query: str) -> str:
    return f"“{escape(clip(query))}”"


def lyrics_reply(result: LyricsResult, page_index: int, what: str) -> Reply:
    """The reply to `/lyrics`: a page, or why there is none (`what` names what was looked for)."""
    found = result.lyrics
    if result.status is LyricsStatus.FAILED:
        return Reply.error(failures.lyrics_failure(result.problem, result.retry_after_s))
    if result.status is LyricsStatus.NOT_FOUND or found is None:
        return Reply.error(tr("No lyrics found for {what}.", what=what))
    if result.status is LyricsStatus.INSTRUMENTAL:
        return Reply(
            content=tr("🎼 {song} is instrumental: it has no lyrics.", song=subject(found.title, found.artist))
        )
    shown = pages(escape(found.plain))
    if page_index >= len(shown):
        return Reply.error(
            trn("These lyrics have only {count} page.", "These lyrics have only {count} pages.", len(shown))
        )
    footer = tr("Page {page}/{pages}", page=page_index + 1, pages=len(shown)) + f" · {SOURCE}"
    if found.duration_ms is not None:
        footer += f" · {duration(found.duration_ms)}"
    if page_index + 1 < len(shown):
        footer += " · " + tr("/lyrics page:{page} for more", page=page_index + 2)
    return Reply(card=Card(title=clip(_name(found), 250), description=shown[page_index], footer=footer, colour=_COLOUR))
