"""Playlist ingestion: the first chunk is queued at once, the rest by a chain of idempotent chunk jobs.

Chunk 0 holds the first `first_chunk_size` entries; chunk k >= 1 holds the next `chunk_size` entries. Job k appends
its chunk through the queue's APPEND script, which applies a chunk only when it is the request's next one, then
enqueues job k+1 (arq dedupes the job id). So chunks land in playlist order, a retried or duplicated job appends
nothing twice, and a job killed between its append and its enqueue is re-run by arq and only enqueues.

Document playlists (RSS, XSPF, HTML, M3U: every entry known after one parse) are staged in Redis and chunk jobs
move them; lazy playlists (paged sources) are re-extracted per chunk with only the pages that chunk needs.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from yt_dlp.utils import YoutubeDLError

from shared.clock import now_ms
from shared.events import PlaylistProgress
from shared.failures import Problem, ProblemKind, Stop, StopKind
from shared.jobs import IngestChunkRequest, ResolveRequest, ResolveResult, ResolveStatus
from shared.models import GuildSettings, InsertPosition, QueueItem, Track
from shared.queue_store import AppendResult, QueueLimits
from worker.resolve.enqueue import Enqueuer, Placement
from worker.resolve.failures import classify
from worker.resolve.models import ChunkOutcome, RequestMeta
from worker.resolve.parts import ResolverParts
from worker.resolve.request_store import RequestState
from worker.resolve.tracks import SkipTally, skipped_list, usable_tracks

_log: Final = logging.getLogger(__name__)

MAX_CHUNK_ATTEMPTS: Final = 3
RETRY_AFTER_S: Final = 2.0
_RETRIED: Final = frozenset({ProblemKind.NETWORK, ProblemKind.HTTP, ProblemKind.OTHER})
"""Chunk failures worth another attempt (the site may answer next time)."""


def _no_more() -> list[Track]:
    return []


@dataclass(frozen=True, slots=True)
class PlaylistSource:
    url: str
    title: str | None
    head: list[Track]
    """The first chunk's tracks."""
    lazy: bool
    count: int | None
    """The playlist's own length when known (before the cap)."""
    size: int | None = None
    """Documents: entries in hand after the cap (an upper bound on the tracks; some may be unusable)."""
    exhausted: bool = False
    """Nothing follows the head (the source had no more entries, usable or not)."""
    rest: Callable[[], list[Track]] = _no_more
    """Documents: converts the entries after the head; called only once chunk 0 is queued (5,000 take ~0.3 s)."""
    skipped: SkipTally = field(default_factory=Counter)
    """Entries left out so far (`rest` adds those after the head when it runs)."""
    cut: Stop | None = None
    """The source itself lists only part of the playlist (a mirrored service's public page): said when done."""


def limits_for(settings: GuildSettings) -> QueueLimits:
    return QueueLimits(max_length=settings.max_queue_length, max_per_user=settings.max_items_per_user)


def limit_stop(limited_by: str | None, settings: GuildSettings) -> Stop | None:
    """The queue limit an append ran into, if any."""
    if limited_by is None:
        return None
    if limited_by == "user_share":
        return Stop(kind=StopKind.USER_SHARE, limit=settings.max_items_per_user)
    return Stop(kind=StopKind.QUEUE_FULL, limit=settings.max_queue_length)


class PlaylistIngest:
    def __init__(self, parts: ResolverParts, enqueuer: Enqueuer) -> None:
        self._enqueuer = enqueuer
        self._requests = parts.requests
        self._settings_store = parts.settings_store
        self._events = parts.events
        self._ytdlp = parts.ytdlp
        self._scheduler = parts.scheduler
        self._guard = parts.guard
        self._config = parts.config
        self._metrics = parts.metrics

    async def start(self, request: ResolveRequest, settings: GuildSettings, source: PlaylistSource) -> ResolveResult:
        """Queue chunk 0 now; then stage the rest (documents) and enqueue chunk 1."""
        gid, rid = request.guild_id, request.request_id
        first = source.head[: self._config.first_chunk_size]
        if not first:
            return ResolveResult(
                status=ResolveStatus.NOTHING_FOUND,
                problem=Problem(kind=ProblemKind.EMPTY_PLAYLIST),
                skipped=skipped_list(source.skipped),
            )
        meta = self._meta(request, source)
        await self._requests.save_meta(gid, rid, meta)
        items = _items(first, request.requester_id, rid)
        appended = await self._append(gid, rid, 0, items, meta, settings)
        stopped = limit_stop(appended.limited_by, settings)
        more = not source.exhausted and (meta.total is None or meta.total > meta.first_size)
        if more and not stopped and not source.lazy:
            rest = await asyncio.to_thread(source.rest)  # CPU-bound for big feeds: keep the players' loop free
            meta = meta.model_copy(update={"total": len(first) + len(rest)})
            more = bool(rest)
            await self._requests.save_meta(gid, rid, meta)
            await self._requests.stage(gid, rid, rest)
        if stopped or not more:
            await self._finish(gid, rid, meta, stopped)
        else:
            await self._publish(gid, rid, meta, done=False)
            await self._scheduler.schedule(_next(gid, rid, 0))
        result = _start_result(items[0], appended, meta, pending=more and not stopped, stopped=stopped)
        return result.model_copy(update={"skipped": skipped_list(source.skipped)})

    async def chunk(self, request: IngestChunkRequest, *, attempt: int = 1) -> ChunkOutcome:
        """Append chunk k >= 1 if it is the request's next one, then enqueue chunk k+1."""
        gid, rid, k = request.guild_id, request.request_id, request.chunk_index
        meta = await self._requests.meta(gid, rid)
        state = await self._requests.state(gid, rid)
        outcome = ChunkOutcome(request_id=rid, chunk_index=k)
        if meta is None or state.status != "running":
            return outcome.model_copy(update={"duplicate": True, "done": True})
        if state.next_chunk > k:  # appended before: its worker may have died before it announced or enqueued
            await self._enqueuer.announce(self._placement(gid, rid, k, meta, await self._settings_store.get(gid)))
            await self._scheduler.schedule(_next(gid, rid, k))
            return outcome.model_copy(update={"duplicate": True})
        if state.next_chunk < k:
            return outcome.model_copy(update={"retry_after_s": RETRY_AFTER_S})
        start, end = _bounds(meta, k)
        try:
            tracks, exhausted = await self._entries(gid, rid, meta, start, end)
        except (YoutubeDLError, TimeoutError) as err:
            return await self._entries_failed(request, meta, err, attempt)
        last = exhausted or end >= (meta.total if meta.total is not None else meta.cap)
        return await self._apply(request, meta, state, tracks, last=last)

    async def _apply(
        self, request: IngestChunkRequest, meta: RequestMeta, state: RequestState, tracks: list[Track], *, last: bool
    ) -> ChunkOutcome:
        gid, rid, k = request.guild_id, request.request_id, request.chunk_index
        outcome = ChunkOutcome(request_id=rid, chunk_index=k)
        settings = await self._settings_store.get(gid)
        items = _items(tracks, meta.requester_id, rid)
        result = await self._append(gid, rid, k, items, meta, settings)
        if result.duplicate:
            await self._scheduler.schedule(_next(gid, rid, k))
            return outcome.model_copy(update={"duplicate": True})
        stopped = limit_stop(result.limited_by, settings)
        queued = state.queued + result.appended
        if stopped or last:
            await self._finish(gid, rid, meta, stopped, queued=queued)
        else:
            await self._publish(gid, rid, meta, done=False, queued=queued)
            await self._scheduler.schedule(_next(gid, rid, k))
        update = {"appended": result.appended, "done": bool(stopped or last), "stopped": stopped}
        return outcome.model_copy(update=update)

    async def _entries(self, gid: int, rid: str, meta: RequestMeta, start: int, end: int) -> tuple[list[Track], bool]:
        """The chunk's tracks, and whether the source ended inside the chunk (judged by entries, usable or not)."""
        if meta.source == "staged":
            tracks = await self._requests.staged(gid, rid, start - meta.first_size, end - meta.first_size)
            return tracks, len(tracks) < end - start
        entries = await self._ytdlp.slice(meta.url, start, end)
        tracks = await asyncio.to_thread(usable_tracks, entries, self._guard)  # ~30 ms of CPU per 500 entries
        return tracks, len(entries) < end - start

    async def _entries_failed(
        self, request: IngestChunkRequest, meta: RequestMeta, err: Exception, attempt: int
    ) -> ChunkOutcome:
        problem, detail = classify(err)
        self._metrics.resolve_failed(problem.kind.value)
        _log.warning("chunk %d of request %s failed: %s", request.chunk_index, request.request_id, detail)
        outcome = ChunkOutcome(request_id=request.request_id, chunk_index=request.chunk_index)
        if problem.kind in _RETRIED and attempt < MAX_CHUNK_ATTEMPTS:
            return outcome.model_copy(update={"retry_after_s": RETRY_AFTER_S * attempt})
        stopped = Stop(kind=StopKind.LOAD_FAILED, problem=problem)
        state = await self._requests.state(request.guild_id, request.request_id)
        await self._finish(request.guild_id, request.request_id, meta, stopped, queued=state.queued)
        return outcome.model_copy(update={"done": True, "stopped": stopped})

    async def _append(
        self, gid: int, rid: str, k: int, items: Sequence[QueueItem], meta: RequestMeta, settings: GuildSettings
    ) -> AppendResult:
        return await self._enqueuer.append(self._placement(gid, rid, k, meta, settings), items, chunk_index=k)

    def _placement(self, gid: int, rid: str, k: int, meta: RequestMeta, settings: GuildSettings) -> Placement:
        return Placement(
            guild_id=gid,
            request_id=rid,
            position=InsertPosition(meta.position),
            limits=limits_for(settings),
            requester_id=meta.requester_id,
            text_channel_id=meta.text_channel_id if k == 0 else None,
        )

    async def _finish(
        self, gid: int, rid: str, meta: RequestMeta, stopped: Stop | None, *, queued: int | None = None
    ) -> None:
        await self._requests.finish(gid, rid, "stopped" if stopped else "done")
        if stopped is None and meta.capped_from is not None:
            stopped = Stop(kind=StopKind.CAPPED, limit=meta.total, of=meta.capped_from)
        if stopped is None and meta.cut is not None:
            stopped = meta.cut
        await self._publish(gid, rid, meta, done=True, queued=queued, stopped=stopped)

    async def _publish(
        self,
        gid: int,
        rid: str,
        meta: RequestMeta,
        *,
        done: bool,
        queued: int | None = None,
        stopped: Stop | None = None,
    ) -> None:
        if queued is None:
            queued = (await self._requests.state(gid, rid)).queued
        event = PlaylistProgress(
            guild_id=gid,
            at_ms=now_ms(),
            text_channel_id=meta.text_channel_id,
            request_id=rid,
            title=meta.title,
            queued=queued,
            total=meta.total,
            done=done,
            stopped=stopped,
        )
        await self._events.publish(event)

    def _meta(self, request: ResolveRequest, source: PlaylistSource) -> RequestMeta:
        cap = self._config.max_playlist_entries
        total = source.size if not source.lazy else None
        if source.lazy and source.count is not None:
            total = min(source.count, cap)
        return RequestMeta(
            url=source.url,
            source="lazy" if source.lazy else "staged",
            requester_id=request.requester_id,
            position=request.position.value,
            first_size=self._config.first_chunk_size,
            chunk_size=self._config.chunk_size,
            cap=cap,
            total=total,
            title=source.title,
            text_channel_id=request.text_channel_id,
            capped_from=source.count if source.count is not None and source.count > cap else None,
            cut=source.cut,
        )


def _bounds(meta: RequestMeta, k: int) -> tuple[int, int]:
    """Playlist indexes [start, end) of chunk k, cut at the request's total."""
    if k == 0:
        start, end = 0, meta.first_size
    else:
        start = meta.first_size + (k - 1) * meta.chunk_size
        end = start + meta.chunk_size
    end = min(end, meta.total if meta.total is not None else meta.cap)
    return start, max(start, end)


def _next(gid: int, rid: str, k: int) -> IngestChunkRequest:
    return IngestChunkRequest(guild_id=gid, request_id=rid, chunk_index=k + 1)


def _items(tracks: Sequence[Track], requester_id: int, request_id: str) -> list[QueueItem]:
    return [
        QueueItem(uid=uuid.uuid4().hex, track=track, requester_id=requester_id, request_id=request_id)
        for track in tracks
    ]


def _start_result(
    first: QueueItem, appended: AppendResult, meta: RequestMeta, *, pending: bool, stopped: Stop | None
) -> ResolveResult:
    if appended.appended == 0 and not appended.duplicate:
        return ResolveResult(status=ResolveStatus.QUEUE_FULL, stopped=stopped, total=meta.total)
    return ResolveResult(
        status=ResolveStatus.QUEUED,
        stopped=stopped,
        first=first,
        queued=appended.appended,
        total=meta.total,
        playlist_title=meta.title,
        pending=pending,
    )
