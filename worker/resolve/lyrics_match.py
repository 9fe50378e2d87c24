"""Whether an LRCLIB record is the song asked for: never the lyrics of another song.

Titles and artists are compared after the same normalisation on both sides: case and width folded, accents
kept; bracketed parts dropped (`(Official Video)`, `[Lyrics]`, `(feat. X)`, `(Remastered 2011)`); a `feat.`/`ft.`
tail and a ` - Official Video`-like tail dropped; punctuation ignored. Artists are compared as sets of names
(`A & B`, `A, B`, `A x B`, `A feat. B`), with YouTube's ` - Topic` and `VEVO` channel suffixes dropped: one shared
name is enough.

A track matches a record when the titles are equal, an artist is shared, and the durations (when both are known)
differ by at most DURATION_TOLERANCE_MS. A track without an artist whose title reads `Artist - Title` (as
uploads do) is tried that way. A free query matches a record whose whole title is in the query and whose artist
accounts for every other word of it (`bohemian rhapsody queen` finds Queen's, `rhapsody` finds nothing).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

DURATION_TOLERANCE_MS: Final = 2000
_BRACKETS: Final = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|\{[^{}]*\}|【[^【】]*】|「[^「」]*」")
_FEATURING: Final = re.compile(r"\s(?:feat|ft|featuring)\.?\s.*$", re.IGNORECASE)
_DASH: Final = re.compile(r"\s+[-–—|]\s+")
_NOISE_TAIL: Final = re.compile(
    r"\s+[-–—|]\s+(?:official|lyrics?|audio|video|visuali[sz]er|remaster(?:ed)?|hd|hq|4k|mv|music video)\b.*$",
    re.IGNORECASE,
)
_ARTIST_SUFFIX: Final = re.compile(r"(?:\s+-\s+topic|vevo|\s+official)$")
_ARTIST_SPLIT: Final = re.compile(r"\s*(?:,|&|;|/|\sx\s|\sand\s|\s(?:feat|ft|featuring)\.?\s)\s*")
_WORD: Final = re.compile(r"[^\W_]+")
_QUERY_FILLER: Final = frozenset({"by", "lyrics", "lyric", "song"})


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold().replace("’", "'")


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def title_query(title: str) -> str:
    """`title` as sent to LRCLIB: its case and punctuation kept, without the parts `title_key` drops."""
    text = unicodedata.normalize("NFKC", title)
    text = _NOISE_TAIL.sub("", text)
    stripped = _BRACKETS.sub(" ", _BRACKETS.sub(" ", text))
    text = stripped if _words(stripped) else text
    return " ".join(_FEATURING.sub("", text).split())


def title_key(title: str) -> str:
    """The normalised title (words joined by spaces); "" when nothing is left."""
    text = _fold(title)
    text = _NOISE_TAIL.sub("", text)
    stripped = _BRACKETS.sub(" ", _BRACKETS.sub(" ", text))
    text = stripped if _words(stripped) else text  # a title that is all brackets keeps them
    return " ".join(_words(_FEATURING.sub("", text)))


def artist_names(artist: str) -> frozenset[str]:
    """The normalised names of the artists credited in `artist`."""
    text = _BRACKETS.sub(" ", _fold(artist)).strip()
    text = _ARTIST_SUFFIX.sub("", text)
    names = (" ".join(_words(part)) for part in _ARTIST_SPLIT.split(text))
    return frozenset(name for name in names if name)


def artist_query(artist: str) -> str:
    """`artist` as sent to LRCLIB: folded, without brackets and channel suffixes (` - Topic`, `VEVO`)."""
    text = " ".join(_BRACKETS.sub(" ", _fold(artist)).split())
    return _ARTIST_SUFFIX.sub("", text).strip() or text


@dataclass(frozen=True, slots=True)
class Wanted:
    """One reading of a track: its title and artist as LRCLIB would file them, and its length."""

    title: str
    artist: str
    duration_ms: int | None = None

    @property
    def key(self) -> str:
        return f"{title_key(self.title)}|{'&'.join(sorted(artist_names(self.artist)))}|{self.duration_s}"

    @property
    def duration_s(self) -> int | None:
        return None if self.duration_ms is None else round(self.duration_ms / 1000)


@dataclass(frozen=True, slots=True)
class Candidate:
    """What a match needs of an LRCLIB record."""

    title: str
    artist: str
    duration_ms: int | None


def readings(title: str, artist: str | None, duration_ms: int | None) -> list[Wanted]:
    """How a playing track may be filed on LRCLIB, best first: its own title and artist, then (for uploads) the
    `Artist - Title` its title spells; without an artist and a dash there is nothing to match on."""
    found: list[Wanted] = []
    if artist and artist_names(artist) and title_key(title):
        found.append(Wanted(title, artist, duration_ms))
    parts = _DASH.split(_NOISE_TAIL.sub("", _fold(title)), maxsplit=1)
    if len(parts) == 2 and title_key(parts[1]) and artist_names(parts[0]):
        found.append(Wanted(parts[1], parts[0], duration_ms))
    unique = {wanted.key: wanted for wanted in reversed(found)}
    return sorted(unique.values(), key=found.index)


def same_duration(expected_ms: int | None, actual_ms: int | None) -> bool:
    if expected_ms is None or actual_ms is None:
        return True
    return abs(expected_ms - actual_ms) <= DURATION_TOLERANCE_MS


def matches(wanted: Wanted, candidate: Candidate) -> bool:
    if not title_key(wanted.title) or title_key(wanted.title) != title_key(candidate.title):
        return False
    if not artist_names(wanted.artist) & artist_names(candidate.artist):
        return False
    return same_duration(wanted.duration_ms, candidate.duration_ms)


def matches_query(query: str, candidate: Candidate) -> bool:
    asked = set(_words(_fold(query))) - _QUERY_FILLER
    title = set(title_key(candidate.title).split())
    if not title or not title <= asked:
        return False
    artist_words = {word for name in artist_names(candidate.artist) for word in name.split()}
    return asked - title <= artist_words


def best[C: Candidate](wanted: Wanted, candidates: Iterable[C]) -> C | None:
    """The matching record closest in duration (the first of equals, LRCLIB's order)."""
    found = [c for c in candidates if matches(wanted, c)]
    if wanted.duration_ms is None:
        return found[0] if found else None
    expected = wanted.duration_ms

    def distance(candidate: C) -> int:
        return abs(expected - candidate.duration_ms) if candidate.duration_ms is not None else DURATION_TOLERANCE_MS

    return min(found, key=distance, default=None)


def best_for_query[C: Candidate](query: str, candidates: Sequence[C]) -> C | None:
    return next((c for c in candidates if matches_query(query, c)), None)
