"""Stream URLs just before play: guarded, briefly cached in Redis, with smart fallback for dead links."""

from __future__ import annotations

import dataclasses
import time
from typing import Final
from urllib.parse import parse_qs, urlsplit

from yt_dlp.utils import YoutubeDLError

from shared.events import SubstitutionReason
from shared.failures import PROVIDER_BLOCKS, Fallback, Problem, ProblemKind
from shared.models import QueueItem, Track
from worker.audio.stream import PlayableStream
from worker.resolve.failures import DeadLink
from worker.resolve.fallback import hints
from worker.resolve.models import CachedStream, StreamResult
from worker.resolve.parts import ResolverParts
from worker.resolve.provider_failures import provider_failure
from worker.resolve.providers import charged, same_source
from worker.resolve.search import Searcher
from worker.resolve.tracks import duration_ms
from worker.resolve.ytdlp import InfoDict

STREAM_CACHE_TTL_S: Final = 300.0
STREAM_LIFETIME_S: Final = 6 * 3600.0
"""Assumed life of a stream URL that carries no `expire=` parameter."""


type StreamLookup = PlayableStream | Problem | DeadLink
"""A track's guarded, fully resolved stream; or a refusal or a stream-less answer (a Problem, reported as it is);
or a yt-dlp failure, classified (a dead or unsupported link may be searched for)."""


class StreamResolver:
    def __init__(self, parts: ResolverParts, searcher: Searcher) -> None:
        self._d = parts
        self._searcher = searcher

    async def stream_for(self, item: QueueItem, guild_id: int) -> StreamResult:
        """The stream to play for a queue item, resolved now (or from the short stream cache).

        A dead link is replaced by a search match unless the guild opted out; the returned item then carries
        `substituted_for` and the result says why. Announcing it is the player's (it commits the substitute first).
        """
        url = item.track.url
        cached = await self._d.cache.get(self._d.keys.stream(url), CachedStream)
        if cached is None:
            found = await self._lookup_stream(item.track, guild_id)
            if isinstance(found, Problem):
                return StreamResult(item=item, problem=found)
            cached = found
            await self._d.cache.put(self._d.keys.stream(url), cached, _stream_ttl(cached))
        if cached.substitute is None or cached.substitute_stream is None or cached.reason is None:
            return StreamResult(item=item, stream=cached.stream)
        substitute = QueueItem(
            uid=item.uid,
            track=cached.substitute,
            requester_id=item.requester_id,
            request_id=item.request_id,
            substituted_for=url,
        )
        return StreamResult(
            item=substitute, stream=cached.substitute_stream, substitution=cached.reason, detail=cached.detail
        )

    async def remember(self, track: Track, info: InfoDict) -> None:
        """Cache the stream of a single item the resolve job has just extracted (`info` from `extract`), so that
        playing it needs no second yt-dlp run. Anything short of a playable stream is left to `stream_for`."""
        try:
            selected = await self._d.ytdlp.select(info)
        except (YoutubeDLError, TimeoutError):
            return
        found = await self._checked_stream(selected, track)
        if isinstance(found, PlayableStream):
            entry = CachedStream(stream=found)
            await self._d.cache.put(self._d.keys.stream(track.url), entry, _stream_ttl(entry))

    async def prefetch(self, item: QueueItem, guild_id: int) -> None:
        """Resolve the next item ahead of time; the result waits in the stream cache for `stream_for`."""
        await self.stream_for(item, guild_id)

    async def _lookup_stream(self, track: Track, guild_id: int) -> CachedStream | Problem:
        """The cache entry for `track`: its stream or a substitute's; or why nothing plays."""
        found = await self._stream_info(track)
        if isinstance(found, PlayableStream):
            return CachedStream(stream=found)
        if isinstance(found, Problem):
            return found
        self._d.metrics.resolve_failed(found.failure.value)
        skip = await self._charge(track, found)
        if skip is None and (problem := found.unsearchable()) is not None:
            return problem
        settings = await self._d.settings_store.get(guild_id)
        if not settings.search_fallback:
            return found.unplayed(Fallback.OFF)
        match = await self._searcher.substitute(hints(track.url, known=track), settings, skip or ())
        substitute = None if match is None else await self._stream_info(match.track)
        if match is None or not isinstance(substitute, PlayableStream):
            return found.unplayed(Fallback.NO_MATCH)
        reason = SubstitutionReason.BLOCKED if skip is not None else found.substitution
        return CachedStream(
            substitute=match.track, substitute_stream=substitute, reason=reason, detail=found.detail[:200]
        )

    async def _charge(self, track: Track, dead: DeadLink) -> set[str] | None:
        """Count the failure against the track's provider; for a block, the providers a substitute is not searched
        on (the blocked one and those streaming from the same site), else None."""
        chain = self._searcher.chain
        owners = charged(chain.providers, track.provider, track.extractor)
        for owner in owners:
            await chain.charge(owner, dead.cause)
        if dead.cause not in PROVIDER_BLOCKS:
            return None
        return same_source(chain.providers, owners)

    async def _stream_info(self, track: Track) -> StreamLookup:
        verdict = await self._d.guard.check(track.url)
        if not verdict.allowed:
            return verdict.problem()
        try:
            info = await self._d.ytdlp.stream(track.url)
        except (YoutubeDLError, TimeoutError) as err:
            return dataclasses.replace(DeadLink.of(err), cause=provider_failure(err))
        return await self._checked_stream(info, track)

    async def _checked_stream(self, info: InfoDict, track: Track) -> StreamLookup:
        """The playable stream in a processed info dict: the format's URL guarded, its redirects followed."""
        stream = make_stream(info, track)
        if stream is None:
            return Problem(kind=ProblemKind.NO_AUDIO)
        verdict = await self._d.guard.check(stream.url)
        if not verdict.allowed:
            return verdict.problem()
        try:
            final = await self._d.ytdlp.final_url(stream.url, stream.http_headers)
        except (YoutubeDLError, TimeoutError) as err:
            return DeadLink.of(err)
        return stream if final == stream.url else stream.model_copy(update={"url": final})


def make_stream(info: InfoDict, track: Track) -> PlayableStream | None:
    """The stream of a fully resolved item; None when it has none, or only a preview (SoundCloud Go+ tracks play
    30 seconds to non-subscribers: yt-dlp names those formats `..._preview`)."""
    url = info.get("url")
    if not isinstance(url, str) or not url or urlsplit(url).scheme not in ("http", "https"):
        return None
    if "preview" in str(info.get("format_id") or ""):
        return None
    ext = info.get("ext") if isinstance(info.get("ext"), str) else None
    acodec = info.get("acodec")
    is_opus: bool | None = acodec == "opus" or (not acodec and ext in ("webm", "opus"))
    if not is_opus and not acodec and ext == "ogg":
        is_opus = None  # Ogg holds Opus or Vorbis and yt-dlp does not say which
    headers = info.get("http_headers") or {}
    return PlayableStream(
        url=url,
        is_opus=is_opus,
        http_headers={str(k): str(v) for k, v in headers.items()},
        duration_ms=duration_ms(info.get("duration")) or track.duration_ms,
        expires_at=_expires_at(url),
        ext=ext[:16] if ext else None,
    )


def _expires_at(url: str) -> float:
    """From an `expire=<unix time>` query parameter (YouTube's), else a conservative default."""
    values = parse_qs(urlsplit(url).query).get("expire") or []
    if values and values[0].isdigit():
        return float(values[0])
    return time.time() + STREAM_LIFETIME_S


def _stream_ttl(entry: CachedStream) -> float:
    stream = entry.stream or entry.substitute_stream
    if stream is None:
        return 0.0
    return max(0.0, min(STREAM_CACHE_TTL_S, stream.expires_at - time.time() - 60.0))
