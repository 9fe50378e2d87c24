"""Turning yt-dlp info dicts and M3U/PLS documents into Tracks, within the wire model's limits."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Final
from urllib.parse import unquote, urljoin, urlsplit

from yt_dlp.utils import unsmuggle_url

from shared.jobs import SkipKind, Skipped
from shared.models import ISRC_PATTERN, MAX_DURATION_MS, MAX_TITLE_LENGTH, MAX_URL_LENGTH, Track
from worker.resolve.guard import UrlGuard
from worker.resolve.probe import ProbeResult

_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f]+")
_SPACES: Final = re.compile(r"\s+")
PLAYLIST_SUFFIXES: Final = frozenset({".m3u", ".m3u8", ".pls"})
MAX_SOURCE_ID: Final = 256
MAX_EXTRACTOR: Final = 64


def clean_text(value: object, limit: int = MAX_TITLE_LENGTH) -> str | None:
    """Printable single-line text cut to `limit` characters (with an ellipsis), or None when empty."""
    if not isinstance(value, str):
        return None
    text = _SPACES.sub(" ", _CONTROL.sub(" ", value)).strip()
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def duration_ms(seconds: object) -> int | None:
    """Milliseconds from yt-dlp's seconds; None when unknown or absurd."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not math.isfinite(seconds):
        return None
    millis = round(seconds * 1000)
    return millis if 0 <= millis <= MAX_DURATION_MS else None


def too_long(seconds: object) -> bool:
    return isinstance(seconds, int | float) and math.isfinite(seconds) and seconds * 1000 > MAX_DURATION_MS


def basename_title(url: str) -> str:
    name = PurePosixPath(unquote(urlsplit(url).path)).name
    return clean_text(name) or clean_text(urlsplit(url).hostname) or "Unknown title"


def entry_url(entry: dict[str, Any]) -> str | None:
    """The URL to queue for a flat playlist entry: its page or media URL, never a smuggled fragment."""
    url = entry.get("url")
    if not isinstance(url, str) or not url:
        url = entry.get("webpage_url")
    if not isinstance(url, str) or not url:
        formats = entry.get("formats") or []
        url = next((f.get("url") for f in formats if isinstance(f, dict) and f.get("url")), None)
    if not isinstance(url, str) or not url:
        return None
    clean: str = unsmuggle_url(url)[0]
    return clean if len(clean) <= MAX_URL_LENGTH else None


def enrich(track: Track, probed: ProbeResult) -> Track:
    """A direct link's track with the file's own title, artist and duration where ffprobe found them."""
    return Track(
        url=track.url,
        title=clean_text(probed.title) or track.title,
        duration_ms=track.duration_ms if probed.seconds is None else duration_ms(probed.seconds),
        artist=clean_text(probed.artist) or track.artist,
        source_id=track.source_id,
        extractor=track.extractor,
    )


def _smuggled_id(url: object) -> str | None:
    """RSS entries keep their guid in a yt-dlp smuggled fragment (`force_videoid`)."""
    if not isinstance(url, str):
        return None
    data = unsmuggle_url(url)[1] or {}
    found = data.get("force_videoid") if isinstance(data, dict) else None
    return found if isinstance(found, str) else None


def make_track(entry: dict[str, Any], url: str) -> Track:
    """A Track from an info dict (flat entry or single item) queued under `url`."""
    artist = next((entry.get(k) for k in ("artist", "creator", "uploader", "channel") if entry.get(k)), None)
    source_id = entry.get("id") or _smuggled_id(entry.get("url"))
    extractor = entry.get("ie_key") or entry.get("extractor_key") or entry.get("extractor")
    return Track(
        url=url,
        title=clean_text(entry.get("track")) or clean_text(entry.get("title")) or basename_title(url),
        duration_ms=duration_ms(entry.get("duration")),
        artist=clean_text(artist),
        source_id=clean_text(source_id, MAX_SOURCE_ID) if isinstance(source_id, str) else None,
        extractor=clean_text(extractor, MAX_EXTRACTOR),
        isrc=_isrc(entry.get("isrc")),
    )


def _isrc(value: object) -> str | None:
    """An ISRC some extractors give (a search result of a music service), when it is a valid one."""
    code = value.strip().upper().replace("-", "") if isinstance(value, str) else None
    return code if code is not None and re.match(ISRC_PATTERN, code) else None


type SkipTally = Counter[SkipKind]
"""Entries left out, per kind; filled as entries are converted (see `ResolveResult.skipped`)."""


def skipped_list(tally: SkipTally) -> tuple[Skipped, ...]:
    return tuple(Skipped(kind=kind, count=count) for kind, count in sorted(tally.items()) if count > 0)


def _skip_kind(entry: dict[str, Any], url: str | None, guard: UrlGuard) -> SkipKind | None:
    if url is None:
        return SkipKind.NO_LINK
    if too_long(entry.get("duration")):
        return SkipKind.TOO_LONG
    if not guard.check_static(url).allowed:
        return SkipKind.REFUSED
    return None


def usable_tracks(entries: Iterable[dict[str, Any]], guard: UrlGuard, tally: SkipTally | None = None) -> list[Track]:
    """Tracks for the entries that have a URL the guard accepts (without DNS) and a sane duration; the others are
    counted in `tally` by kind."""
    tracks: list[Track] = []
    for entry in entries:
        url = entry_url(entry)
        kind = _skip_kind(entry, url, guard)
        if kind is None and url is not None:
            tracks.append(make_track(entry, url))
        elif kind is not None and tally is not None:
            tally[kind] += 1
    return tracks


def first_usable(
    entries: Sequence[dict[str, Any]], guard: UrlGuard, wanted: int, tally: SkipTally | None = None
) -> tuple[list[Track], int]:
    """The first `wanted` usable tracks and how many entries they took."""
    tracks: list[Track] = []
    used = 0
    while used < len(entries) and len(tracks) < wanted:
        tracks.extend(usable_tracks(entries[used : used + 1], guard, tally))
        used += 1
    return tracks, used


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One entry of an M3U or PLS playlist."""

    url: str
    title: str | None = None
    seconds: float | None = None

    def track(self) -> Track:
        return Track(
            url=self.url,
            title=clean_text(self.title) or basename_title(self.url),
            duration_ms=duration_ms(self.seconds),
        )


def is_playlist_file(url: str) -> bool:
    return PurePosixPath(urlsplit(url).path.lower()).suffix in PLAYLIST_SUFFIXES


def parse_playlist_file(text: str, base_url: str) -> list[ListEntry] | None:
    """Entries of an M3U or PLS document; None when it is not one (an HLS stream is not a playlist)."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.lower().startswith("[playlist]"):
        return _parse_pls(stripped, base_url)
    if "#EXT-X-" in stripped or stripped.startswith("<"):
        return None
    return _parse_m3u(stripped, base_url)


def _parse_m3u(text: str, base_url: str) -> list[ListEntry]:
    entries: list[ListEntry] = []
    title: str | None = None
    seconds: float | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.upper().startswith("#EXTINF:"):
            seconds, title = _extinf(line[len("#EXTINF:") :])
        elif line and not line.startswith("#"):
            entries.append(ListEntry(urljoin(base_url, line), title, seconds))
            title, seconds = None, None
    return entries


def _extinf(value: str) -> tuple[float | None, str | None]:
    length, _, title = value.partition(",")
    try:
        seconds: float | None = float(length.split()[0]) if length.strip() else None
    except ValueError:
        seconds = None
    if seconds is not None and seconds < 0:
        seconds = None
    return seconds, title.strip() or None


def _parse_pls(text: str, base_url: str) -> list[ListEntry]:
    fields: dict[str, dict[str, str]] = {}
    for raw in text.splitlines():
        key, sep, value = raw.strip().partition("=")
        match = re.fullmatch(r"(?i)(file|title|length)(\d+)", key.strip())
        if sep and match:
            fields.setdefault(match.group(2), {})[match.group(1).lower()] = value.strip()
    entries: list[ListEntry] = []
    for number in sorted(fields, key=int):
        row = fields[number]
        if not row.get("file"):
            continue
        seconds = _extinf(row.get("length", "") + ",")[0]
        entries.append(ListEntry(urljoin(base_url, row["file"]), row.get("title"), seconds))
    return entries
