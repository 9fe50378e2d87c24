"""SponsorBlock: the stretches of a YouTube video its viewers marked (a sponsor read, an intro …), to be skipped.

Privacy: the video id never leaves the worker. The request names only the first four hex digits of the id's SHA-256
(`/api/skipSegments/<prefix>`); the answer holds the segments of every video in that bucket and the wanted video's
are picked out here. Requests go through yt-dlp's guarded HTTP stack (`YtDlp.fetch_text`, as playlist documents do),
so the API's URL and every redirect pass the URL guard. A video's segments are cached in Redis (`Keys.
sponsor_segments`), an answer of "none" (404, or no entry for the video) too; a failed request caches nothing.

The answer is untrusted: at most `MAX_ANSWER_BYTES` are read; only entries of the asked video, of a known category,
with `actionType` "skip" (mute, full-video labels and highlights are not skips) and sane times are kept, at most
`MAX_SEGMENTS` of them.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import re
from collections.abc import Iterable
from typing import Any, Final
from urllib.parse import parse_qs, quote, urlsplit

import orjson
from pydantic import Field
from yt_dlp.networking.exceptions import HTTPError
from yt_dlp.utils import YoutubeDLError

from shared.keys import Keys
from shared.models import MAX_DURATION_MS, SkipSegment, SponsorCategory, Track, WireModel
from worker.resolve.cache_store import ResolveCache
from worker.resolve.ytdlp import YtDlp

_log: Final = logging.getLogger(__name__)

MAX_ANSWER_BYTES: Final = 1024 * 1024
MAX_SEGMENTS: Final = 64
MIN_SEGMENT_MS: Final = 500
"""Shorter segments are not worth a pipeline switch."""
_VIDEO_ID: Final = re.compile(r"^[A-Za-z0-9_-]{11}$")
_YOUTUBE_HOSTS: Final = frozenset(
    {"youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com", "youtube-nocookie.com",
     "www.youtube-nocookie.com"}
)  # fmt: skip
_PATH_FORMS: Final = ("shorts", "embed", "live", "v")


class SponsorSegments(WireModel):
    """Cache entry: a video's skip segments in every category, sorted by start; empty when it has none."""

    segments: tuple[SkipSegment, ...] = Field(default=(), max_length=MAX_SEGMENTS)


def video_id(track: Track) -> str | None:
    """The YouTube video id of `track`: from its URL (watch?v=, youtu.be/, shorts/, embed/, live/, music.youtube.com),
    else from yt-dlp's answer (extractor "youtube" and its id); None for anything else."""
    found = video_id_of_url(track.url)
    if found is not None:
        return found
    if (track.extractor or "").lower() == "youtube" and track.source_id and _VIDEO_ID.match(track.source_id):
        return track.source_id
    return None


def video_id_of_url(url: str) -> str | None:
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or parts.username is not None or port not in (None, 80, 443):
        return None
    segments = [part for part in parts.path.split("/") if part]
    candidate: str | None = None
    if host == "youtu.be":
        candidate = segments[0] if len(segments) == 1 else None
    elif host in _YOUTUBE_HOSTS:
        if segments == ["watch"]:
            values = parse_qs(parts.query).get("v") or []
            candidate = values[0] if len(values) == 1 else None
        elif len(segments) == 2 and segments[0] in _PATH_FORMS:
            candidate = segments[1]
    return candidate if candidate is not None and _VIDEO_ID.match(candidate) else None


def hash_prefix(video: str) -> str:
    return hashlib.sha256(video.encode("ascii")).hexdigest()[:4]


def parse_answer(text: str, video: str) -> SponsorSegments:
    """The skip segments of `video` in a hash-prefix answer (a list of {videoID, hash, segments}); hostile shapes
    and foreign videos are left out."""
    try:
        data: Any = orjson.loads(text)
    except orjson.JSONDecodeError:
        return SponsorSegments()
    if not isinstance(data, list):
        return SponsorSegments()
    for entry in data:
        if isinstance(entry, dict) and entry.get("videoID") == video and isinstance(entry.get("segments"), list):
            return SponsorSegments(segments=merged(_segment(raw) for raw in entry["segments"]))
    return SponsorSegments()


def _segment(raw: object) -> SkipSegment | None:
    if not isinstance(raw, dict) or raw.get("actionType", "skip") != "skip":
        return None
    category, bounds = raw.get("category"), raw.get("segment")
    if not isinstance(category, str) or category not in SponsorCategory._value2member_map_:
        return None
    if not isinstance(bounds, list) or len(bounds) != 2:
        return None
    if not all(isinstance(b, int | float) and not isinstance(b, bool) and math.isfinite(b) for b in bounds):
        return None
    start_ms, end_ms = round(bounds[0] * 1000), round(bounds[1] * 1000)
    if start_ms < 0 or end_ms > MAX_DURATION_MS or end_ms - start_ms < MIN_SEGMENT_MS:
        return None
    return SkipSegment(category=SponsorCategory(category), start_ms=start_ms, end_ms=end_ms)


def merged(segments: Iterable[SkipSegment | None]) -> tuple[SkipSegment, ...]:
    """Sorted by start, overlapping or touching segments joined (the earlier one's category names the join)."""
    ordered = sorted((s for s in segments if s is not None), key=lambda s: (s.start_ms, s.end_ms))
    out: list[SkipSegment] = []
    for segment in ordered:
        last = out[-1] if out else None
        if last is not None and segment.start_ms <= last.end_ms:
            if segment.end_ms > last.end_ms:
                out[-1] = last.model_copy(update={"end_ms": segment.end_ms})
            continue
        out.append(segment)
    return tuple(out[:MAX_SEGMENTS])


def wanted(segments: SponsorSegments, categories: Iterable[SponsorCategory]) -> tuple[SkipSegment, ...]:
    """The segments of the guild's categories, merged again (two categories may overlap)."""
    chosen = frozenset(categories)
    return merged(s for s in segments.segments if s.category in chosen)


class SponsorBlock:
    """Looks up a video's segments: the Redis cache first, else the API through the guarded stack."""

    def __init__(
        self, ytdlp: YtDlp, cache: ResolveCache, keys: Keys, *, base_url: str, ttl_s: float, timeout_s: float
    ) -> None:
        self._timeout_s = timeout_s
        self._ytdlp = ytdlp
        self._cache = cache
        self._keys = keys
        self._base = base_url.rstrip("/")
        self._ttl_s = ttl_s
        self._query = "categories=" + quote(orjson.dumps([c.value for c in SponsorCategory]).decode())
        self._query += "&actionTypes=" + quote('["skip"]')

    async def cached(self, video: str) -> SponsorSegments | None:
        return await self._cache.get(self._keys.sponsor_segments(video), SponsorSegments)

    async def segments(self, video: str) -> SponsorSegments | None:
        """The video's segments (empty: none); None when the API could not be asked (nothing is cached then)."""
        found = await self.cached(video)
        if found is not None:
            return found
        url = f"{self._base}/api/skipSegments/{hash_prefix(video)}?{self._query}"
        try:
            async with asyncio.timeout(self._timeout_s):
                _, text = await self._ytdlp.fetch_text(url, MAX_ANSWER_BYTES)
        except HTTPError as err:
            if err.status != 404:
                _log.info("SponsorBlock answered HTTP %s", err.status)
                return None
            found = SponsorSegments()
        except (YoutubeDLError, TimeoutError) as err:
            _log.info("SponsorBlock could not be asked: %s", err)
            return None
        else:
            found = parse_answer(text, video)
        await self._cache.put(self._keys.sponsor_segments(video), found, self._ttl_s)
        return found
