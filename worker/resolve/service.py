"""ResolveService: `/play` input to queue items, `/search` results, and stream URLs just before play.

Flow of `resolve`: parse the input (URL or search text) -> guard -> cache -> yt-dlp off the loop (process=False) ->
a single item, or a playlist handed to PlaylistIngest. A dead or unsupported link is searched for (smart fallback)
unless the guild opted out; network errors are reported, never searched.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import time
import uuid
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from typing import Final, Literal

from yt_dlp.utils import YoutubeDLError

from shared.failures import Fallback, Problem, ProblemKind
from shared.jobs import (
    SEARCH_SIZE,
    IngestChunkRequest,
    ResolveRequest,
    ResolveResult,
    ResolveStatus,
    SearchRequest,
    SearchResult,
    SearchStatus,
    SkipKind,
)
from shared.lyrics import LyricsRequest, LyricsResult
from shared.models import CachedTracks, GuildSettings, QueueItem, Track
from shared.observability import ResolveKind, ResolveOutcome
from shared.playlists import ImportRequest, ImportResult
from worker.resolve.enqueue import Enqueuer, Placement
from worker.resolve.failures import DeadLink
from worker.resolve.fallback import hints, page_title
from worker.resolve.lrclib import Lrclib
from worker.resolve.lyrics import LyricsFinder
from worker.resolve.mirror.ingest import mirrored_source
from worker.resolve.mirror.matcher import Matcher
from worker.resolve.mirror.reader import MirrorReader
from worker.resolve.mirror.streams import MirrorStreams
from worker.resolve.models import ChunkOutcome, StreamResult
from worker.resolve.parts import ResolverParts
from worker.resolve.playlist import PlaylistIngest, PlaylistSource, limit_stop, limits_for
from worker.resolve.playlist_import import PlaylistImporter
from worker.resolve.probe import DirectProbe
from worker.resolve.related import ArtistSearch, MixSource, RelatedFinder
from worker.resolve.search import Searcher
from worker.resolve.sponsorblock import SponsorBlock
from worker.resolve.streams import StreamResolver
from worker.resolve.tracks import (
    SkipTally,
    basename_title,
    clean_text,
    enrich,
    first_usable,
    is_playlist_file,
    make_track,
    parse_playlist_file,
    too_long,
    usable_tracks,
)
from worker.resolve.ytdlp import Extraction

_log: Final = logging.getLogger(__name__)

_SCHEME: Final = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_UNSAFE_SCHEME: Final = re.compile(r"^(file|data|javascript|ftp|gopher|dict|ldap|smb|jar|view-source):", re.IGNORECASE)
_BARE_URL: Final = re.compile(r"^(?:[\w-]+\.)+[a-z]{2,}(?::\d+)?/\S*$", re.IGNORECASE)


def parse_input(query: str) -> tuple[Literal["url", "text"], str]:
    """A URL (scheme given, or `host.tld/path`) or search text, whitespace collapsed."""
    text = " ".join(query.split())
    if _SCHEME.match(text) or _UNSAFE_SCHEME.match(text):
        return "url", text
    if _BARE_URL.match(text):
        return "url", f"https://{text}"
    return "text", text


class _Verdict:
    """What one timed resolve turned out to be."""

    def __init__(self, kind: ResolveKind) -> None:
        self.kind: ResolveKind = kind
        self.outcome: ResolveOutcome = "error"


_OUTCOMES: Final[dict[ResolveStatus, ResolveOutcome]] = {
    ResolveStatus.QUEUED: "ok",
    ResolveStatus.NOTHING_FOUND: "nothing_found",
    ResolveStatus.QUEUE_FULL: "queue_full",
    ResolveStatus.REFUSED: "refused",
    ResolveStatus.FAILED: "failed",
}


_SEARCH_OUTCOMES: Final[dict[SearchStatus, ResolveOutcome]] = {
    SearchStatus.FOUND: "ok",
    SearchStatus.NOTHING_FOUND: "nothing_found",
    SearchStatus.FAILED: "failed",
}
_SEARCH_DOWN: Final = Problem(kind=ProblemKind.SEARCH_UNAVAILABLE)
_NO_RESULTS: Final = Problem(kind=ProblemKind.NO_RESULTS)


def _outcome(status: ResolveStatus) -> ResolveOutcome:
    return _OUTCOMES[status]


def _refused(problem: Problem) -> ResolveResult:
    return ResolveResult(status=ResolveStatus.REFUSED, problem=problem)


def _failed(problem: Problem) -> ResolveResult:
    return ResolveResult(status=ResolveStatus.FAILED, problem=problem)


class ResolveService:
    """Everything the resolve jobs and the player ask of the resolver; all state lives in Redis."""

    def __init__(self, parts: ResolverParts) -> None:
        self._d = parts
        self._config = parts.config
        self._enqueuer = Enqueuer(parts.queue, parts.commands, parts.requests)
        self._ingest = PlaylistIngest(parts, self._enqueuer)
        self._searcher = Searcher(parts)
        self._streams = StreamResolver(parts, self._searcher)
        self._probe = DirectProbe(parts.ytdlp, http_proxy=parts.ffmpeg_proxy)
        self.sponsorblock: Final = SponsorBlock(
            parts.ytdlp, parts.cache, parts.keys, base_url=parts.config.sponsorblock_url,
            ttl_s=parts.config.sponsorblock_ttl_s, timeout_s=parts.config.sponsorblock_timeout_s,
        )  # fmt: skip
        self._lyrics = LyricsFinder(Lrclib(parts.ytdlp, parts.config.lrclib_url), parts.cache, parts.keys, parts.config)
        self._related = RelatedFinder([MixSource(parts), ArtistSearch(self._searcher)])
        self._importer = PlaylistImporter(parts, self._searcher)
        self.mirror: Final = MirrorReader(parts.ytdlp, parts.config.mirror, parts.cache, parts.keys)
        self.matcher: Final = Matcher(self._searcher.tracks, parts.cache, parts.keys, parts.config.mirror)
        self._mirror_streams = MirrorStreams(self.matcher, self._streams)

    async def start(self) -> None:
        """Warm yt-dlp (instances built off the loop) so the first `/play` does not pay for it; refuse to start with
        a search provider yt-dlp does not know."""
        await self._d.ytdlp.start()
        keys = await self._d.ytdlp.search_keys()
        unknown = [p.name for p in self._searcher.chain.providers if p.search_key and p.search_key not in keys]
        if unknown:
            self.close()
            raise ValueError(f"yt-dlp has no search for the providers {', '.join(unknown)} (ENCORE_SEARCH_PROVIDERS)")

    def close(self) -> None:
        self._d.ytdlp.close()

    @property
    def parts(self) -> ResolverParts:
        return self._d

    @property
    def ytdlp_calls(self) -> int:
        """yt-dlp calls made so far by this process (cache hits make none)."""
        return self._d.ytdlp.calls

    @contextlib.contextmanager
    def _timed(self, kind: ResolveKind) -> Iterator[_Verdict]:
        """Time one resolve; its kind and outcome are what the body sets, error when the body raised."""
        verdict, started = _Verdict(kind), time.monotonic()
        try:
            yield verdict
        except BaseException:
            verdict.outcome = "error"
            raise
        finally:
            self._d.metrics.observe_resolve(verdict.kind, verdict.outcome, time.monotonic() - started)

    async def resolve(self, request: ResolveRequest) -> ResolveResult:
        """A `/play` input queued: one track, a search hit, or a playlist (whose rest comes in chunk jobs)."""
        kind, value = parse_input(request.query)
        with self._timed("search" if kind == "text" and not self._mirrored(value) else "url") as verdict:
            result = await self._resolve(request)
            verdict.outcome = _outcome(result.status)
            if result.playlist_title is not None or result.pending or (result.total or 0) > 1:
                verdict.kind = "playlist"
            return result

    async def _resolve(self, request: ResolveRequest) -> ResolveResult:
        settings = await self._d.settings_store.get(request.guild_id)
        if request.saved is not None:
            return await self._resolve_saved(request, settings, request.saved)
        kind, value = parse_input(request.query)
        if self._mirrored(value):
            return await self._resolve_mirror(request, settings, value)
        if kind == "text":
            return await self._resolve_text(request, settings, value)
        verdict = await self._d.guard.check(value)
        if not verdict.allowed:
            _log.info("refused %s: %s", value[:300], verdict)
            return _refused(verdict.problem())
        if is_playlist_file(value):
            return await self._resolve_list_file(request, settings, value)
        return await self._resolve_url(request, settings, value)

    def _mirrored(self, value: str) -> bool:
        """A Spotify, Apple Music or Deezer link (or `spotify:` URI), whatever `parse_input` took it for."""
        return " " not in value and self.mirror.recognises(value)

    async def _resolve_mirror(self, request: ResolveRequest, settings: GuildSettings, link: str) -> ResolveResult:
        """A Spotify, Apple Music or Deezer link: its tracks queued at once as metadata, matched just before play."""
        read = await self.mirror.read(link, self._config.max_playlist_entries)
        if read is None:
            return _failed(Problem(kind=ProblemKind.MALFORMED_LINK))
        if isinstance(read, Problem):
            self._d.metrics.resolve_failed(read.kind.value)
            return _refused(read) if read.kind is ProblemKind.REFUSED else _failed(read)
        parsed, listing = read
        if listing.title is None and len(listing.tracks) == 1:
            return await self._queue_one(request, settings, listing.tracks[0])
        source = mirrored_source(parsed, listing, self._config.first_chunk_size)
        return await self._ingest.start(request, settings, source)

    async def ingest_chunk(self, request: IngestChunkRequest, *, attempt: int = 1) -> ChunkOutcome:
        with self._timed("chunk") as verdict:
            outcome = await self._ingest.chunk(request, attempt=attempt)
            failed = outcome.retry_after_s is not None or outcome.stopped is not None
            verdict.outcome = "failed" if failed else "ok"
            return outcome

    async def search(self, request: SearchRequest) -> SearchResult:
        """Up to `limit` results."""
        with self._timed("search") as verdict:
            result = await self._search(request)
            verdict.outcome = _SEARCH_OUTCOMES[result.status]
            return result

    async def _search(self, request: SearchRequest) -> SearchResult:
        text = " ".join(request.query.split())
        settings = None if request.guild_id is None else await self._d.settings_store.get(request.guild_id)
        tracks = await self._searcher.tracks(text, max(request.limit, SEARCH_SIZE), settings)
        if tracks is None:
            return SearchResult(status=SearchStatus.FAILED, problem=_SEARCH_DOWN)
        if not tracks:
            return SearchResult(status=SearchStatus.NOTHING_FOUND, problem=_NO_RESULTS)
        return SearchResult(status=SearchStatus.FOUND, tracks=tuple(tracks[: request.limit]))

    async def lyrics(self, request: LyricsRequest) -> LyricsResult:
        """The lyrics of a track or a query (worker/resolve/lyrics.py)."""
        return await self._lyrics.find(request)

    async def _resolve_text(self, request: ResolveRequest, settings: GuildSettings, text: str) -> ResolveResult:
        tracks = await self._searcher.tracks(text, SEARCH_SIZE, settings)
        if tracks is None:
            return _failed(_SEARCH_DOWN)
        if not tracks:
            return ResolveResult(status=ResolveStatus.NOTHING_FOUND, problem=_NO_RESULTS)
        return await self._queue_one(request, settings, tracks[0])

    async def _resolve_url(self, request: ResolveRequest, settings: GuildSettings, url: str) -> ResolveResult:
        cached = await self._d.cache.get(self._d.keys.resolved(url), CachedTracks)
        if cached is not None and cached.tracks:
            return await self._queue_one(request, settings, cached.tracks[0])
        try:
            extraction = await self._d.ytdlp.extract(
                url, first=self._config.first_chunk_size, cap=self._config.max_playlist_entries
            )
        except (YoutubeDLError, TimeoutError) as err:
            return await self._resolve_failed(request, settings, url, err)
        if extraction.entries is not None:
            return await self._ingest.start(request, settings, self._playlist_source(url, extraction))
        if too_long(extraction.info.get("duration")):
            return _refused(Problem(kind=ProblemKind.TOO_LONG))
        track = make_track(extraction.info, url)
        if extraction.info.get("direct"):
            probed = await self._probe(str(extraction.info.get("url") or url))
            if probed.refused is not None:
                return _refused(probed.refused)
            track = enrich(track, probed)
        await self._d.cache.put(
            self._d.keys.resolved(url), CachedTracks(tracks=(track,)), self._config.resolve_cache_ttl_s
        )
        await self._streams.remember(track, extraction.info)
        return await self._queue_one(request, settings, track)

    async def _resolve_list_file(self, request: ResolveRequest, settings: GuildSettings, url: str) -> ResolveResult:
        """M3U and PLS playlists, which yt-dlp treats as HLS or does not know: parsed here, each entry guarded."""
        try:
            final_url, text = await self._d.ytdlp.fetch_text(url)
        except (YoutubeDLError, TimeoutError) as err:
            return await self._resolve_failed(request, settings, url, err)
        entries = parse_playlist_file(text, final_url)
        if entries is None:
            return await self._resolve_url(request, settings, url)
        allowed = [entry for entry in entries if self._d.guard.check_static(entry.url).allowed]
        refused = len(entries) - len(allowed)
        cap = self._config.max_playlist_entries
        tracks = [entry.track() for entry in allowed[:cap]]
        first = self._config.first_chunk_size
        source = PlaylistSource(
            url=url,
            title=basename_title(url),
            head=tracks[:first],
            lazy=False,
            count=len(allowed),
            size=len(tracks),
            exhausted=len(tracks) <= first,
            rest=functools.partial(list, tracks[first:]),
            skipped=Counter({SkipKind.REFUSED: refused}),
        )
        return await self._ingest.start(request, settings, source)

    async def _resolve_saved(
        self, request: ResolveRequest, settings: GuildSettings, saved: Sequence[Track]
    ) -> ResolveResult:
        """`/playlist load`: a saved playlist queued like an M3U document, each entry guarded again."""
        allowed = [track for track in saved if self._d.guard.check_static(track.url).allowed]
        first = self._config.first_chunk_size
        source = PlaylistSource(
            url="",
            title=request.query,
            head=allowed[:first],
            lazy=False,
            count=len(saved),
            size=len(allowed),
            exhausted=len(allowed) <= first,
            rest=functools.partial(list, allowed[first:]),
            skipped=Counter({SkipKind.REFUSED: len(saved) - len(allowed)}),
        )
        return await self._ingest.start(request, settings, source)

    async def import_playlist(self, request: ImportRequest) -> ImportResult:
        """`/playlist import` and `add`: the checked entries of a file or a link (worker/resolve/playlist_import.py)."""
        link = parse_input(request.link) if request.link is not None else None
        with self._timed("playlist" if link is None or link[0] == "url" else "search") as verdict:
            result = await self._importer.read(request, link)
            verdict.outcome = "ok" if result.tracks else "failed"
            return result

    def _playlist_source(self, url: str, extraction: Extraction) -> PlaylistSource:
        entries = extraction.entries or []
        first = self._config.first_chunk_size
        tally: SkipTally = Counter()
        head, used = first_usable(entries, self._d.guard, first, tally)
        return PlaylistSource(
            url=url,
            title=clean_text(extraction.info.get("title")),
            head=head,
            lazy=extraction.lazy,
            count=extraction.count,
            size=len(head) + len(entries) - used,
            exhausted=len(entries) < first if extraction.lazy else used >= len(entries),
            rest=functools.partial(usable_tracks, entries[used:], self._d.guard, tally),
            skipped=tally,
        )

    async def _resolve_failed(
        self, request: ResolveRequest, settings: GuildSettings, url: str, err: Exception
    ) -> ResolveResult:
        dead = DeadLink.of(err)
        self._d.metrics.resolve_failed(dead.failure.value)
        await self._searcher.chain.charge_link(err)
        _log.info("resolving %s failed: %s (%s)", url, dead.failure.value, dead.detail)
        if dead.failure is ProblemKind.REFUSED:
            return _refused(dead.problem)
        if (problem := dead.unsearchable()) is not None:
            return _failed(problem)
        if not settings.search_fallback:
            return _failed(dead.unplayed(Fallback.OFF))
        html_title = await self._page_title(url) if dead.failure is ProblemKind.UNSUPPORTED else None
        match = await self._searcher.substitute(hints(url, html_title=html_title), settings)
        if match is None:
            return _failed(dead.unplayed(Fallback.NO_MATCH))
        return await self._queue_one(request, settings, match.track, substituted_for=url)

    async def _page_title(self, url: str) -> str | None:
        try:
            _, text = await self._d.ytdlp.fetch_text(url, 256 * 1024)
        except (YoutubeDLError, TimeoutError):
            return None
        return page_title(text)

    async def _queue_one(
        self,
        request: ResolveRequest,
        settings: GuildSettings,
        track: Track,
        *,
        substituted_for: str | None = None,
    ) -> ResolveResult:
        item = QueueItem(
            uid=uuid.uuid4().hex,
            track=track,
            requester_id=request.requester_id,
            request_id=request.request_id,
            substituted_for=substituted_for,
        )
        placement = Placement(
            guild_id=request.guild_id,
            request_id=request.request_id,
            position=request.position,
            limits=limits_for(settings),
            requester_id=request.requester_id,
            text_channel_id=request.text_channel_id,
        )
        result = await self._enqueuer.append(placement, [item], chunk_index=0)
        if result.appended == 0 and not result.duplicate:
            return ResolveResult(status=ResolveStatus.QUEUE_FULL, stopped=limit_stop(result.limited_by, settings))
        return ResolveResult(
            status=ResolveStatus.QUEUED,
            first=item,
            queued=0 if result.duplicate else 1,
            total=1,
            substituted_for=substituted_for,
        )

    async def stream_for(self, item: QueueItem, guild_id: int) -> StreamResult:
        """See `StreamResolver.stream_for`: the stream to play for `item` now, or why not."""
        with self._timed("stream") as verdict:
            if item.track.mirror is not None:
                result = await self._mirror_streams.stream_for(item, guild_id)
            else:
                result = await self._streams.stream_for(item, guild_id)
            verdict.outcome = "ok" if result.stream is not None else "failed"
            return result

    async def related(self, seeds: Sequence[Track], exclude: Collection[Track], limit: int) -> list[Track]:
        """Autoplay: up to `limit` tracks like `seeds` (newest first), none of `exclude` (see `RelatedFinder`)."""
        return await self._related.related(seeds, exclude, limit)

    async def prefetch(self, item: QueueItem, guild_id: int) -> None:
        """Resolve the next item ahead of time (a mirrored one is matched now); the result waits in the caches."""
        if item.track.mirror is not None:
            await self._mirror_streams.stream_for(item, guild_id)
        else:
            await self._streams.prefetch(item, guild_id)
