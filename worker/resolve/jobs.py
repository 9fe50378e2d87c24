"""arq adapters for the resolver: job functions, their registration, and building the service they call.

The worker process (`worker/app.py`) builds one service before arq starts and hands it to the arq `Worker`:

    scheduler = ArqChunkScheduler(redis, keys.arq_queue())
    service = build_resolve_service(
        redis=redis, keys=keys, config=settings.worker, providers=settings.search_providers, scheduler=scheduler,
        metrics=metrics,
    )
    await service.start()
    Worker(functions=resolve_functions(), ctx={RESOLVE_SERVICE_KEY: service}, ...)

and calls `service.close()` when the worker's parts are closed, after arq has stopped.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, Final

from arq import Retry
from arq.worker import Function, func
from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.command_store import CommandStore
from shared.event_store import EventStore
from shared.jobs import IngestChunkRequest, JobName, ResolveRequest, SearchRequest
from shared.keys import Keys
from shared.lyrics import LyricsRequest
from shared.observability import WorkerMetrics
from shared.playlists import ImportRequest
from shared.queue_store import QueueStore
from shared.settings import WorkerSettings
from shared.settings_store import SettingsStore
from worker.resolve.breaker_store import BreakerPolicy, BreakerStore
from worker.resolve.cache_store import ResolveCache
from worker.resolve.guard import HostResolver, UrlGuard, system_resolver
from worker.resolve.parts import ResolverParts
from worker.resolve.playlist import MAX_CHUNK_ATTEMPTS, RETRY_AFTER_S
from worker.resolve.request_store import RequestStore
from worker.resolve.schedule_store import ChunkScheduler
from worker.resolve.service import ResolveService
from worker.resolve.youtube import youtube_params
from worker.resolve.ytdlp import YtDlp

_log: Final = logging.getLogger(__name__)

RESOLVE_SERVICE_KEY: Final = "resolve_service"
RESOLVE_TIMEOUT_S: Final = 60
"""A 20,000-item RSS feed takes about 15 s to parse. arq re-runs a killed worker's jobs only after the largest
function timeout + 10 s, so keep every timeout here short."""
CHUNK_TIMEOUT_S: Final = 60
SEARCH_TIMEOUT_S: Final = 30
LYRICS_TIMEOUT_S: Final = 30
IMPORT_TIMEOUT_S: Final = 60
YTDLP_CALL_TIMEOUT_S: Final = 60.0


def resolve_service(ctx: Mapping[str, Any]) -> ResolveService:
    """The typed accessor for arq's untyped ctx."""
    service = ctx.get(RESOLVE_SERVICE_KEY)
    if not isinstance(service, ResolveService):
        raise TypeError(f"ctx[{RESOLVE_SERVICE_KEY!r}] is not set: the arq Worker's ctx must hold the ResolveService")
    return service


async def resolve(ctx: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    request = ResolveRequest.model_validate(raw)
    result = await resolve_service(ctx).resolve(request)
    return result.model_dump(mode="json")


async def ingest_chunk(ctx: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    request = IngestChunkRequest.model_validate(raw)
    attempt = int(ctx.get("job_try") or 1)
    try:
        outcome = await resolve_service(ctx).ingest_chunk(request, attempt=attempt)
    except (RedisError, OSError) as err:
        # A failed chunk job would end the chain with the request still "running": try again instead.
        _log.warning("chunk %d of %s failed (%s); retrying", request.chunk_index, request.request_id, err)
        raise Retry(defer=RETRY_AFTER_S * attempt) from err
    if outcome.retry_after_s is not None:
        raise Retry(defer=outcome.retry_after_s)
    return outcome.model_dump(mode="json")


async def search(ctx: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    request = SearchRequest.model_validate(raw)
    result = await resolve_service(ctx).search(request)
    return result.model_dump(mode="json")


async def lyrics(ctx: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    request = LyricsRequest.model_validate(raw)
    result = await resolve_service(ctx).lyrics(request)
    return result.model_dump(mode="json")


async def import_playlist(ctx: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    request = ImportRequest.model_validate(raw)
    result = await resolve_service(ctx).import_playlist(request)
    return result.model_dump(mode="json")


def resolve_functions() -> list[Function]:
    """The resolver's arq functions with their timeouts, for the worker's `functions` list."""
    return [
        func(resolve, name=JobName.RESOLVE.value, timeout=RESOLVE_TIMEOUT_S, max_tries=3),
        func(ingest_chunk, name=JobName.INGEST_CHUNK.value, timeout=CHUNK_TIMEOUT_S, max_tries=MAX_CHUNK_ATTEMPTS + 3),
        func(search, name=JobName.SEARCH.value, timeout=SEARCH_TIMEOUT_S, max_tries=2),
        func(lyrics, name=JobName.LYRICS.value, timeout=LYRICS_TIMEOUT_S, max_tries=1),
        func(import_playlist, name=JobName.IMPORT_PLAYLIST.value, timeout=IMPORT_TIMEOUT_S, max_tries=1),
    ]


def build_resolve_service(  # noqa: PLR0913 - keyword-only; the last three have defaults (tests and the worker)
    *,
    redis: Redis,
    keys: Keys,
    config: WorkerSettings,
    providers: Sequence[str],
    scheduler: ChunkScheduler,
    ytdlp_params: Mapping[str, Any] | None = None,
    resolver: HostResolver = system_resolver,
    metrics: WorkerMetrics | None = None,
    ffmpeg_proxy: str | None = None,
) -> ResolveService:
    """The service with its stores on `redis`; chunk jobs go to `scheduler` (an ArqChunkScheduler in production).

    `metrics` are the worker's; without them the service records into a registry of its own."""
    params, youtube_hosts = youtube_params(config, ytdlp_params or {})
    guard = UrlGuard((*config.allowed_hosts, *youtube_hosts), resolver=resolver)
    window_ms, cooldown_ms = int(config.breaker_window_s * 1000), int(config.breaker_cooldown_s * 1000)
    parts = ResolverParts(
        config=config,
        keys=keys,
        providers=tuple(providers),
        ytdlp=YtDlp(guard, threads=config.ytdlp_threads, params=params, timeout_s=YTDLP_CALL_TIMEOUT_S),
        guard=guard,
        queue=QueueStore(redis, keys),
        commands=CommandStore(redis, keys),
        settings_store=SettingsStore(redis, keys),
        events=EventStore(redis, keys),
        cache=ResolveCache(redis),
        requests=RequestStore(redis, keys),
        scheduler=scheduler,
        metrics=metrics or WorkerMetrics(),
        breakers=BreakerStore(redis, keys, BreakerPolicy(config.breaker_threshold, window_ms, cooldown_ms)),
        ffmpeg_proxy=ffmpeg_proxy,
    )
    return ResolveService(parts)
