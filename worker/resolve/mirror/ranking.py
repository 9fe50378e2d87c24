"""Which search result is the same recording as a mirrored track: a pure ranking, no I/O.

The ladder, best first:
1. **ISRC.** A result carrying the target's ISRC is the recording (`MatchMethod.ISRC`, score 1.0).
2. **Score** of every other result, from 0 to 1:
   - title: the target's title words found in the result's title, less the words the result adds that are neither
     the artists' nor upload noise ("Official Video", "Lyrics", "HD", "Remastered 2011", "feat. X"…);
   - artists: the target's main artist named in the result's title or channel ("Artist - Topic", "ArtistVEVO");
   - duration: within ±3 s or 5 % counts fully; further off the score falls quickly (a different cut or a preview);
   - versions: a live, cover, remix, sped-up, slowed, nightcore, 8D, karaoke, instrumental or acoustic upload
     halves the score, unless the target's own title says the same; and a target that is such a version (its title
     says "Live", "Remix" …) halves the score of an upload that does not say so;
   - the artist's official-audio upload (a "<Artist> - Topic" channel) gains a little, so it wins ties with
     fan uploads.
   Text is compared normalised: NFKD with accents dropped, case-folded, brackets and punctuation as spaces, any
   script's letters kept (a Japanese or Cyrillic title matches itself), "feat."/"ft."/"featuring" credits moved
   out of the title into the artists.
3. Below `threshold` nothing is chosen: a skip with a notice is better than a wrong song played silently.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from shared.models import MatchMethod, Track

DEFAULT_THRESHOLD: Final = 0.7
_TITLE_WEIGHT: Final = 0.5
_ARTIST_WEIGHT: Final = 0.35
_DURATION_WEIGHT: Final = 0.15
_TOPIC_BONUS: Final = 0.05
_BASE: Final = 1.0 - _TOPIC_BONUS
"""The text and duration score reaches this; the official-audio bonus the rest (so it breaks ties)."""
_VERSION_FACTOR: Final = 0.5

_WORD: Final = re.compile(r"[^\W_]+")
_FEAT: Final = re.compile(r"[(\[]?\s*\b(?:feat|ft|featuring|with)\b\.?\s+([^)\]]*)[)\]]?", re.IGNORECASE)
_BRACKETED: Final = re.compile(r"[(\[【「『]([^)\]】」』]*)[)\]】」』]")
_TOPIC: Final = re.compile(r"\s*-\s*topic$", re.IGNORECASE)
NOISE: Final = frozenset(
    [
        "official",
        "video",
        "audio",
        "music",
        "lyric",
        "lyrics",
        "lyrical",
        "visualizer",
        "visualiser",
        "hd",
        "hq",
        "4k",
        "mv",
        "clip",
        "videoclip",
        "remaster",
        "remastered",
        "version",
        "original",
        "explicit",
        "clean",
        "radio",
        "edit",
        "single",
        "mono",
        "stereo",
        "full",
        "topic",
        "vevo",
        "channel",
    ]
)
"""Words uploads add that say nothing about which recording it is (years are noise too)."""
VERSIONS: Final[dict[str, frozenset[str]]] = {
    "live": frozenset({"live", "concert", "tour", "unplugged"}),
    "cover": frozenset({"cover", "covers", "tribute"}),
    "remix": frozenset({"remix", "rmx", "bootleg", "mashup", "flip"}),
    "sped up": frozenset({"sped", "speed", "spedup", "faster"}),
    "slowed": frozenset({"slowed", "reverb", "slow"}),
    "nightcore": frozenset({"nightcore"}),
    "8d": frozenset({"8d", "16d", "3d"}),
    "karaoke": frozenset({"karaoke", "singalong"}),
    "instrumental": frozenset({"instrumental", "inst", "backing", "minus"}),
    "acoustic": frozenset({"acoustic"}),
    "preview": frozenset({"preview", "snippet", "teaser"}),
}
"""Kinds of other versions, by the words that give them away."""


@dataclass(frozen=True, slots=True)
class Target:
    """The mirrored track to find."""

    title: str
    artists: tuple[str, ...]
    duration_ms: int | None = None
    isrc: str | None = None

    @classmethod
    def of(cls, track: Track) -> Target:
        artists = track.artists or ((track.artist,) if track.artist else ())
        return cls(track.title, artists, track.duration_ms, track.isrc)


@dataclass(frozen=True, slots=True)
class Ranked:
    track: Track
    score: float
    method: MatchMethod


def fold(text: str) -> str:
    """NFKD, accents dropped, case-folded."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def split_title(title: str) -> tuple[str, list[str]]:
    """The title without its featured credits, and the featured artists' names."""
    featured = [m.group(1) for m in _FEAT.finditer(title)]
    return _FEAT.sub(" ", title), featured


_DASH_TAIL: Final = re.compile(r"\s+[-–—]\s+([^-–—]*)$")


def _is_noise(text: str) -> bool:
    tokens = words(text)
    return bool(tokens) and not _meaningful(tokens)


def search_title(title: str) -> str:
    """The title to search for: without featured credits and without a noise-only tail or bracket
    ("Song - Remastered 2011", "Song (Official Audio)")."""
    core, _ = split_title(title)
    core = _BRACKETED.sub(lambda m: " " if _is_noise(m.group(1)) else m.group(0), core)
    tail = _DASH_TAIL.search(core)
    if tail is not None and _is_noise(tail.group(1)):
        core = core[: tail.start()]
    return " ".join(core.split()) or title


def _meaningful(tokens: Sequence[str]) -> set[str]:
    return {t for t in tokens if t not in NOISE and not (len(t) == 4 and t.isdigit() and t[:2] in ("19", "20"))}


def versions_of(text: str) -> set[str]:
    tokens = set(words(text))
    found = {kind for kind, marks in VERSIONS.items() if tokens & marks}
    if "sped" in tokens or "speed" in tokens:
        found.add("sped up")
    return found


def duration_factor(expected: int | None, actual: int | None) -> float:
    """1.0 within ±3 s or 5 %; past it, down to 0 at twice that tolerance beyond."""
    if not expected or not actual:
        return 0.85  # unknown: neither proof nor disproof
    tolerance = max(3000, expected // 20)
    over = abs(expected - actual) - tolerance
    if over <= 0:
        return 1.0
    return max(0.0, 1.0 - over / (2 * tolerance))


def _dice(a: set[str], b: set[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


def _channel(candidate: Track) -> str:
    return _TOPIC.sub("", candidate.artist or "")


def artist_score(target: Target, candidate: Track) -> float:
    """1 when the result names the main artist in full (title or channel), 0.9 for another credited artist, else
    0: half a name ("Gus Quinn" for "Gus Novak") is another artist."""
    where = set(words(f"{candidate.title} {_channel(candidate)}")) | {"".join(words(_channel(candidate)))}
    for rank, name in enumerate(target.artists[:4]):
        tokens = set(words(name)) - {"the"}
        if tokens and (tokens <= where or "".join(words(name)) in where):
            return 1.0 if rank == 0 else 0.9
    return 0.0


def title_score(target: Target, candidate: Track) -> float:
    core, _ = split_title(target.title)
    wanted = _meaningful(words(core))
    if not wanted:
        return 0.0
    artist_words = {w for name in target.artists for w in words(name)} | set(words(_channel(candidate)))
    cand_core, featured = split_title(candidate.title)
    given = _meaningful(words(cand_core)) - (artist_words - wanted)
    featured_words = {w for name in featured for w in words(name)}
    given -= featured_words - wanted
    if not given:
        return 0.0
    return _dice(wanted, given)


def score(target: Target, candidate: Track) -> float:
    """The candidate's score, 0 … 1 (see the module's ladder; ISRC is judged by `rank`)."""
    title = title_score(target, candidate)
    if title == 0.0:
        return 0.0
    fit = duration_factor(target.duration_ms, candidate.duration_ms)
    raw = _BASE * (_TITLE_WEIGHT * title + _ARTIST_WEIGHT * artist_score(target, candidate) + _DURATION_WEIGHT * fit)
    raw *= fit if fit < 1.0 and candidate.duration_ms else 1.0
    offered, wanted = versions_of(candidate.title), versions_of(target.title)
    if offered - wanted:  # a live, cover, sped-up … upload for the studio recording
        raw *= _VERSION_FACTOR
    if wanted - offered:  # the studio upload for a live (or remixed, acoustic …) recording
        raw *= _VERSION_FACTOR
    if _TOPIC.search(candidate.artist or "") and artist_score(target, candidate) >= 1.0:
        raw += _TOPIC_BONUS
    return round(min(1.0, raw), 4)


def rank(target: Target, candidates: Sequence[Track]) -> list[Ranked]:
    """Every candidate, best first: ISRC matches (in the order given), then by score."""
    isrc = [Ranked(c, 1.0, MatchMethod.ISRC) for c in candidates if target.isrc and c.isrc == target.isrc]
    scored = [Ranked(c, score(target, c), MatchMethod.SCORE) for c in candidates if c not in {r.track for r in isrc}]
    scored.sort(key=lambda r: r.score, reverse=True)
    return isrc + scored


def choose(target: Target, candidates: Sequence[Track], threshold: float = DEFAULT_THRESHOLD) -> Ranked | None:
    """The match to play, or None when the best is below `threshold`."""
    ranked = rank(target, candidates)
    return ranked[0] if ranked and ranked[0].score >= threshold else None


def best_score(target: Target, candidates: Sequence[Track]) -> float | None:
    ranked = rank(target, candidates)
    return ranked[0].score if ranked else None
