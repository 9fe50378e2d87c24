"""Fixtures for the resolver: settings for the loopback library, a started ResolveService, arq pool and worker."""

from __future__ import annotations

import functools
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any

import pytest
from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.worker import Worker
from redis.asyncio import Redis

from shared import codec
from shared.jobs import IngestChunkRequest, ResolveRequest
from shared.keys import Keys
from shared.settings import WorkerSettings
from tests.media.server import MediaServer
from tests.netguard import NetGuard
from worker.resolve.jobs import RESOLVE_SERVICE_KEY, build_resolve_service, resolve_functions
from worker.resolve.schedule_store import ArqChunkScheduler
from worker.resolve.service import ResolveService

GUILD = 111_111_111_111_111_111
USER = 222_222_222_222_222_222
OTHER_USER = 333_333_333_333_333_333

type WorkerRunner = Callable[[], Awaitable[Worker]]


class RecordingScheduler:
    """Records chunk requests instead of enqueueing them (tests run them by hand)."""

    def __init__(self) -> None:
        self.scheduled: list[IngestChunkRequest] = []

    async def schedule(self, request: IngestChunkRequest) -> None:
        self.scheduled.append(request)


def make_request(query: str, **changes: Any) -> ResolveRequest:
    fields: dict[str, Any] = {"guild_id": GUILD, "request_id": uuid.uuid4().hex, "query": query, "requester_id": USER}
    return ResolveRequest(**(fields | changes))


@pytest.fixture
def worker_settings() -> WorkerSettings:
    return WorkerSettings(
        worker_id="test-worker",
        allowed_hosts=("127.0.0.1",),
        first_chunk_size=20,
        chunk_size=500,
        ytdlp_threads=2,
    )


@pytest.fixture
def ytdlp_params(media_server: MediaServer) -> Mapping[str, Any]:
    return {"extractor_args": {"localsearch": {"base": [media_server.base]}}, "socket_timeout": 5}


async def open_pool(redis_url: str, keys: Keys) -> ArqRedis:
    """An arq pool with encore's job codec, enqueueing on the resolve queue."""
    return await create_pool(
        RedisSettings.from_dsn(redis_url),
        job_serializer=codec.dumps,
        job_deserializer=codec.loads,
        default_queue_name=keys.arq_queue(),
    )


@pytest.fixture
async def arq_pool(redis_url: str, keys: Keys) -> AsyncIterator[ArqRedis]:
    pool = await open_pool(redis_url, keys)
    yield pool
    await pool.aclose()


async def started_service(
    redis: Redis,
    keys: Keys,
    settings: WorkerSettings,
    params: Mapping[str, Any],
    scheduler: Any,
    providers: tuple[str, ...] = ("localsearch",),
) -> ResolveService:
    service = build_resolve_service(
        redis=redis, keys=keys, config=settings, providers=providers, scheduler=scheduler, ytdlp_params=params
    )
    await service.start()
    return service


@pytest.fixture
def scheduler() -> RecordingScheduler:
    return RecordingScheduler()


@pytest.fixture
async def service(
    redis: Redis,
    keys: Keys,
    worker_settings: WorkerSettings,
    ytdlp_params: Mapping[str, Any],
    scheduler: RecordingScheduler,
) -> AsyncIterator[ResolveService]:
    """A started service whose chunk jobs are only recorded."""
    started = await started_service(redis, keys, worker_settings, ytdlp_params, scheduler)
    yield started
    started.close()


@pytest.fixture
async def arq_service(
    redis: Redis, keys: Keys, worker_settings: WorkerSettings, ytdlp_params: Mapping[str, Any], arq_pool: ArqRedis
) -> AsyncIterator[ResolveService]:
    """A started service whose chunk jobs go to the real arq queue."""
    scheduler = ArqChunkScheduler(arq_pool, keys.arq_queue())
    started = await started_service(redis, keys, worker_settings, ytdlp_params, scheduler)
    yield started
    started.close()


def make_worker(pool: ArqRedis, keys: Keys, service: ResolveService, *, max_jobs: int = 10) -> Worker:
    return Worker(
        functions=resolve_functions(),
        redis_pool=pool,
        queue_name=keys.arq_queue(),
        burst=True,
        poll_delay=0,
        max_jobs=max_jobs,
        handle_signals=False,
        keep_result=60,
        job_serializer=codec.dumps,
        job_deserializer=codec.loads,
        ctx={RESOLVE_SERVICE_KEY: service},
    )


async def run_burst_worker(redis_url: str, keys: Keys, service: ResolveService) -> Worker:
    """Runs a burst arq Worker for `service` (on its own pool, which it closes) until the queue is empty."""
    worker = make_worker(await open_pool(redis_url, keys), keys, service)
    try:
        await worker.main()
    finally:
        await worker.close()
    return worker


@pytest.fixture
def run_worker(redis_url: str, keys: Keys, arq_service: ResolveService) -> WorkerRunner:
    """`run_burst_worker` for the arq service."""
    return functools.partial(run_burst_worker, redis_url, keys, arq_service)


@pytest.fixture
def hop_server(media_server: MediaServer) -> Iterator[MediaServer]:
    """A server of its own per test, for redirect rules (tests/media/server.py)."""
    with MediaServer(media_server.root) as server:
        yield server


@pytest.fixture
def fake_dns(netguard: NetGuard, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Names (to map to addresses) that the test process resolves without DNS; all others go to netguard's check."""
    names: dict[str, str] = {}
    lookup: Callable[..., Any] = socket.getaddrinfo

    def getaddrinfo(host: object, port: object, *args: Any, **kwargs: Any) -> Any:
        text = host.decode() if isinstance(host, bytes) else str(host)
        if text in names:
            ip = names[text]
            if ":" in ip:
                return [(socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, int(str(port)), 0, 0))]
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (ip, int(str(port))))]
        return lookup(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return names
