"""Smart fallback: what to search for when a link is dead, and whether a search result is the same song."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Final
from urllib.parse import parse_qs, unquote, urlsplit

from shared.models import Track

CONFIDENCE: Final = 0.6
"""The lowest score a search result needs to replace a broken link."""
_WORD: Final = re.compile(r"[^\W_]+")
_TITLE: Final = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_NOISE: Final = frozenset({"www", "com", "html", "htm", "php", "aspx", "index", "watch", "view", "play", "track"})
_YOUTUBE_HOSTS: Final = frozenset({"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com"})
_YOUTUBE_ID: Final = re.compile(r"^[A-Za-z0-9_-]{11}$")
_MEDIA_SUFFIXES: Final = frozenset({".mp3", ".ogg", ".opus", ".webm", ".m4a", ".flac", ".wav", ".aac", ".mp4"})


@dataclass(frozen=True, slots=True)
class Hint:
    """A search query recovered from a broken link, and what it came from."""

    query: str
    source: str
    """"title" (cached or queued metadata), "page" (the page's <title>), "slug" (the URL path) or "id"."""
    duration_ms: int | None = None
    source_id: str | None = None


@dataclass(frozen=True, slots=True)
class Match:
    track: Track
    score: float


def words(text: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(text)]


def page_title(html: str) -> str | None:
    found = _TITLE.search(html)
    if found is None:
        return None
    title = " ".join(found.group(1).split())
    return title or None


def youtube_id(url: str) -> str | None:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    candidate: str | None = None
    if host in _YOUTUBE_HOSTS:
        values = parse_qs(parts.query).get("v")
        candidate = values[0] if values else None
        if candidate is None and parts.path.startswith(("/shorts/", "/embed/", "/live/")):
            candidate = parts.path.split("/")[2]
    elif host == "youtu.be":
        candidate = parts.path.strip("/").split("/")[0]
    return candidate if candidate and _YOUTUBE_ID.match(candidate) else None


def slug(url: str) -> str | None:
    """Words of the last meaningful path segment: /music/Artist-Song_Title.mp3 gives "artist song title"."""
    segments = [s for s in unquote(urlsplit(url).path).split("/") if s]
    for segment in reversed(segments):
        path = PurePosixPath(segment)
        stem = path.stem if path.suffix.lower() in _MEDIA_SUFFIXES | {".html", ".htm", ".php"} else segment
        tokens = [w for w in words(stem) if w not in _NOISE]
        if any(len(w) >= 3 and not w.isdigit() for w in tokens):
            return " ".join(tokens)
    return None


def hints(url: str, *, known: Track | None = None, html_title: str | None = None) -> list[Hint]:
    """Queries to try, best first: known metadata, the page title, the URL slug, a video id."""
    found: list[Hint] = []
    if known is not None and known.title != url:
        query = f"{known.artist} {known.title}" if known.artist and known.artist not in known.title else known.title
        found.append(Hint(query, "title", known.duration_ms, known.source_id))
    if html_title:
        found.append(Hint(html_title, "page"))
    video_id = youtube_id(url)
    url_slug = None if video_id else slug(url)
    if url_slug:
        found.append(Hint(url_slug, "slug"))
    if video_id:
        found.append(Hint(video_id, "id", source_id=video_id))
    unique: dict[str, Hint] = {}
    for hint in found:
        unique.setdefault(" ".join(words(hint.query)), hint)
    return [hint for key, hint in unique.items() if key]


def score(hint: Hint, candidate: Track) -> float:
    """1.0 for the same id; otherwise word overlap (Dice) of query and title, scaled down by a duration mismatch."""
    if hint.source_id and candidate.source_id == hint.source_id:
        return 1.0
    if hint.source == "id":
        return 0.0
    query = set(words(hint.query))
    title = set(words(candidate.title)) | (set(words(candidate.artist or "")) & query)
    if not query or not title:
        return 0.0
    dice = 2 * len(query & title) / (len(query) + len(title))
    return round(dice * _duration_factor(hint.duration_ms, candidate.duration_ms), 4)


def _duration_factor(expected: int | None, actual: int | None) -> float:
    if not expected or not actual:
        return 1.0
    difference = abs(expected - actual)
    if difference <= max(3000, expected // 20):
        return 1.0
    return max(0.0, 1.0 - difference / max(expected, actual))


def best_match(hint: Hint, candidates: Sequence[Track], threshold: float = CONFIDENCE) -> Match | None:
    scored = [Match(track, score(hint, track)) for track in candidates]
    best = max(scored, key=lambda m: m.score, default=None)
    return best if best is not None and best.score >= threshold else None
