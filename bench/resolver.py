"""The real resolver for benchmarks: a ResolveService over the loopback media library and the arq worker to run it."""

from __future__ import annotations

from arq.connections import ArqRedis
from arq.worker import Worker
from redis.asyncio import Redis

from shared import codec
from shared.keys import Keys
from shared.settings import WorkerSettings
from worker.resolve.jobs import RESOLVE_SERVICE_KEY, build_resolve_service, resolve_functions
from worker.resolve.schedule_store import ArqChunkScheduler
from worker.resolve.service import ResolveService

SETTINGS = WorkerSettings(worker_id="bench", allowed_hosts=("127.0.0.1",))
"""The worker's defaults, with the loopback media server allowed."""


def resolve_service(redis: Redis, pool: ArqRedis, keys: Keys, media_base: str) -> ResolveService:
    """A resolver (not yet started) whose `localsearch` searches the media server at `media_base`; chunk jobs go
    to the arq queue."""
    return build_resolve_service(
        redis=redis,
        keys=keys,
        config=SETTINGS,
        providers=("localsearch",),
        scheduler=ArqChunkScheduler(pool, keys.arq_queue()),
        ytdlp_params={"extractor_args": {"localsearch": {"base": [media_base]}}},
    )


def resolve_worker(pool: ArqRedis, keys: Keys, service: ResolveService, *, keep_result_s: int) -> Worker:
    """An arq worker with the production resolve functions and codec, polling briskly for a benchmark."""
    return Worker(
        functions=resolve_functions(),
        redis_pool=pool,
        queue_name=keys.arq_queue(),
        poll_delay=0.05,
        handle_signals=False,
        keep_result=keep_result_s,
        job_serializer=codec.dumps,
        job_deserializer=codec.loads,
        ctx={RESOLVE_SERVICE_KEY: service},
    )
