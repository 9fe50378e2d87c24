"""The worker process: arq's resolve job loop and the player supervisor side by side, with one pacer and voice.

SIGTERM hands every guild off at a safe point (final checkpoint, lease released) before arq stops taking jobs;
running jobs get a few seconds to finish and are otherwise re-queued for another worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import logging
import signal
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Final

import aiohttp
from arq.connections import ArqRedis
from arq.worker import Worker
from redis.asyncio import ConnectionPool, Redis
from redis.exceptions import RedisError

from shared import codec
from shared.active_store import ActiveGuildStore
from shared.command_store import CommandStore
from shared.event_store import EventStore
from shared.keys import Keys
from shared.observability import HealthServer, WorkerMetrics
from shared.player_store import PlayerStore
from shared.queue_store import QueueStore
from shared.redis_pool import Retries, arq_client, connection_pool
from shared.settings import Settings
from shared.settings_store import SettingsStore
from shared.voice_store import VoiceStore
from worker.audio.ffmpeg_args import PipelineOptions
from worker.audio.opener import SourceOpener
from worker.audio.pacer import Pacer
from worker.ownership.checkpoints import CheckpointBatcher
from worker.ownership.job_rescue import JobRescue
from worker.ownership.peers import PeerBeacon, PeerWatch
from worker.ownership.supervisor import Supervisor, SupervisorConfig, TrackedLease
from worker.player.config import PlayerConfig, PlayerStores
from worker.player.guild_player import GuildPlayer
from worker.player.output import FencedSink, GuildAudio, VoiceHold
from worker.player.ports import HoldReason
from worker.player.resolver_streams import ResolverSegments, ResolverStreams
from worker.player.voice_link import VoiceBridge, VoiceRequester
from worker.resolve.canary import Canary
from worker.resolve.guard import UrlGuard
from worker.resolve.jobs import RESOLVE_SERVICE_KEY, build_resolve_service, resolve_functions
from worker.resolve.proxy import GuardedProxy, ProxyLimits
from worker.resolve.schedule_store import ArqChunkScheduler
from worker.resolve.service import ResolveService
from worker.voice.connection import VoiceConnectionFactory

_log: Final = logging.getLogger(__name__)

JOB_DRAIN_S: Final = 4.0
"""How long running resolve jobs may finish after SIGTERM; compose's stop_grace_period covers handoff + this."""
_METRICS_INTERVAL_S: Final = 1.0

type VoiceFactoryBuilder = Callable[[aiohttp.ClientSession], VoiceConnectionFactory]
"""Given the worker's HTTP session, the factory of guild voice connections (built by the composition root)."""


REDIS_RETRIES: Final = Retries(attempts=20, base_s=0.1, cap_s=2.0)
"""The worker rides out short Redis outages (a restart, a failover) instead of failing its players' writes."""


def redis_pool(settings: Settings, *, socket_timeout_s: float) -> ConnectionPool:
    return connection_pool(
        settings.redis, socket_timeout_s=socket_timeout_s, retries=REDIS_RETRIES, client_name=_client_name(settings)
    )


def lease_pool(settings: Settings) -> ConnectionPool:
    """For lease renewals: no retries and a timeout under the renew interval, so an outage shows at once (a renewal
    that comes late is worth nothing) and a refused connection tells the owner that Redis is down for everybody."""
    timeout_s = settings.worker.lease_ms / 4000
    return connection_pool(settings.redis, socket_timeout_s=timeout_s, retries=None, client_name=_client_name(settings))


def _client_name(settings: Settings) -> str:
    return f"encore-worker:{settings.worker.worker_id}"


@dataclass(frozen=True, slots=True)
class WorkerParts:
    """Everything worker-wide that guild players are built from."""

    settings: Settings
    keys: Keys
    redis: ArqRedis
    stores: PlayerStores
    voice_store: VoiceStore
    pacer: Pacer
    opener: SourceOpener
    voice_factory: VoiceConnectionFactory
    resolver: ResolveService
    metrics: WorkerMetrics
    checkpoints: CheckpointBatcher
    """The players' position checkpoints, sent with the supervisor's lease renewals."""

    async def build_player(self, guild_id: int, lease: TrackedLease) -> GuildPlayer:
        requester = VoiceRequester(guild_id, lease, self.voice_store)
        hold = VoiceHold()
        connection = self.voice_factory(guild_id=guild_id, request_voice_state=requester, on_state=hold)
        sink = FencedSink(connection, lease)
        audio = hold.audio = GuildAudio(guild_id, self.pacer, self.opener, sink)
        config = PlayerConfig.from_settings(self.settings.worker)
        player = GuildPlayer(
            guild_id,
            lease=lease,
            stores=self.stores,
            audio=audio,
            voice=VoiceBridge(guild_id, connection, self.voice_store, lease),
            streams=ResolverStreams(self.resolver),
            related=self.resolver,
            config=config,
            metrics=self.metrics,
            segments=ResolverSegments(self.resolver.sponsorblock),
        )

        def lease_in_doubt() -> None:
            audio.hold(HoldReason.LEASE, True)
            player.lease_in_doubt()

        sink.on_fenced = lease_in_doubt
        return player


def player_stores(redis: Redis, keys: Keys, checkpoints: CheckpointBatcher) -> PlayerStores:
    return PlayerStores(
        players=PlayerStore(redis, keys),
        queue=QueueStore(redis, keys),
        settings=SettingsStore(redis, keys),
        events=EventStore(redis, keys),
        commands=CommandStore(redis, keys),
        active=ActiveGuildStore(redis, keys),
        checkpoints=checkpoints,
    )


async def wait_for_redis(redis: Redis) -> None:
    """Start even while Redis is down: retry with backoff until it answers."""
    delay = 0.1
    while True:
        try:
            await redis.ping()
            return
        except (RedisError, OSError) as exc:
            _log.warning("waiting for Redis: %s", exc)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 2.0)


def freeze_start_up_objects() -> None:
    """Move what the start loaded (modules, yt-dlp's extractors and their patterns: ~110,000 objects) out of reach of
    the garbage collector: none of it is garbage, and a full collection walking it held the GIL for 62 ms (100-200 ms
    on a busy host), which the frame clock's thread waited out: the soak's last skipped ticks, caught by
    faulthandler while the loop demuxed (an allocation there had triggered the collection)."""
    gc.collect()
    gc.freeze()
    _log.info("froze %d start-up objects (the garbage collector no longer walks them)", gc.get_freeze_count())


@contextlib.asynccontextmanager
async def worker_parts(settings: Settings, voice_factory_builder: VoiceFactoryBuilder) -> AsyncIterator[WorkerParts]:
    """Build the worker-wide parts and close them in reverse order."""
    keys = Keys(settings.redis.key_prefix)
    redis = arq_client(redis_pool(settings, socket_timeout_s=settings.redis.socket_timeout_s), keys)
    await wait_for_redis(redis)
    metrics = WorkerMetrics()
    proxy = ffmpeg_proxy(settings)
    await proxy.start()
    resolver = build_resolve_service(
        redis=redis,
        keys=keys,
        config=settings.worker,
        providers=settings.search_providers,
        scheduler=ArqChunkScheduler(redis, keys.arq_queue()),
        metrics=metrics,
        ffmpeg_proxy=proxy.url,
    )
    await resolver.start()
    freeze_start_up_objects()
    checkpoints = CheckpointBatcher()
    async with aiohttp.ClientSession() as http, Pacer(priority=settings.worker.clock_priority) as pacer:
        try:
            yield WorkerParts(
                settings=settings,
                keys=keys,
                redis=redis,
                stores=player_stores(redis, keys, checkpoints),
                voice_store=VoiceStore(redis, keys),
                pacer=pacer,
                opener=SourceOpener(pipeline_options(settings, proxy.url)),
                voice_factory=voice_factory_builder(http),
                resolver=resolver,
                metrics=metrics,
                checkpoints=checkpoints,
            )
        finally:
            resolver.close()
            await proxy.stop()
            await redis.aclose()


def pipeline_options(settings: Settings, http_proxy: str) -> PipelineOptions:
    timeout_s = settings.worker.stream_timeout_s
    return PipelineOptions(
        niceness=5,
        io_timeout_s=timeout_s,
        probe_timeout_s=timeout_s,
        ready_timeout_s=timeout_s,
        http_proxy=http_proxy,
        inprocess_passthrough=settings.worker.inprocess_passthrough,
    )


def ffmpeg_proxy(settings: Settings) -> GuardedProxy:
    """The guarded proxy every FFmpeg and ffprobe of this worker opens URLs through (the resolver's allow-list).

    Each guild holds at most a playing and a prepared FFmpeg, each with a connection or two open at a time.
    """
    config = settings.worker
    limits = ProxyLimits(max_connections=max(256, 4 * config.max_guilds + 64))
    return GuardedProxy(UrlGuard(config.allowed_hosts), limits)


def arq_worker(parts: WorkerParts, rescue: JobRescue) -> Worker:
    config = parts.settings.worker
    return Worker(
        on_job_start=rescue.job_started,
        on_job_end=rescue.job_ended,
        functions=resolve_functions(),
        queue_name=parts.keys.arq_queue(),
        redis_pool=parts.redis,
        handle_signals=False,
        max_jobs=config.max_jobs,
        poll_delay=config.job_poll_ms / 1000,
        keep_result=60,
        job_serializer=codec.dumps,
        job_deserializer=codec.loads,
        ctx={RESOLVE_SERVICE_KEY: parts.resolver},
        health_check_key=parts.keys.arq_health(config.worker_id),
        health_check_interval=10,
    )


async def run_jobs(worker: Worker) -> None:
    """arq's poll loop, restarted if a Redis outage outlasts its retries (the process stays up)."""
    while True:
        try:
            await worker.async_run()
            return
        except (RedisError, OSError) as exc:
            _log.warning("the job loop lost Redis (%s); restarting it", exc)
            await asyncio.sleep(1.0)


async def drain_jobs(worker: Worker) -> None:
    worker.allow_pick_jobs = False
    running = [task for task in worker.tasks.values() if not task.done()]
    if running:
        await asyncio.wait(running, timeout=JOB_DRAIN_S)
    with contextlib.suppress(RedisError, OSError):
        await worker.close()


async def report_metrics(parts: WorkerParts, supervisor: Supervisor) -> None:
    counters = parts.pacer.counters
    reported = dataclasses.replace(counters)
    while True:
        await asyncio.sleep(_METRICS_INTERVAL_S)
        owned = supervisor.owned
        playing = sum(1 for gid in owned if (stream := parts.pacer.stream(gid)) and stream.current is not None)
        parts.metrics.set_players(len(owned), playing)
        await report_queue_depths(parts, owned)
        parts.metrics.frames_missed(counters.deficits - reported.deficits)
        parts.metrics.pacer_ticks(
            late=counters.late_ticks - reported.late_ticks, skipped=counters.skipped_ticks - reported.skipped_ticks
        )
        reported = dataclasses.replace(counters)


async def report_queue_depths(parts: WorkerParts, owned: list[int]) -> None:
    """Queue lengths of the owned guilds; left as they were while Redis does not answer."""
    try:
        async with parts.redis.pipeline(transaction=False) as pipe:
            for guild_id in owned:
                pipe.llen(parts.keys.queue(guild_id))
            depths: list[int] = await pipe.execute()
    except (RedisError, OSError) as exc:
        _log.debug("queue depths unavailable: %s", exc)
        return
    parts.metrics.set_queue_depths(depths)


def install_stop_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)


@contextlib.asynccontextmanager
async def supervision(parts: WorkerParts) -> AsyncIterator[Supervisor]:
    """The supervisor with its own Redis clients: blocking stream reads, and fail-fast lease renewals."""
    settings, config = parts.settings, parts.settings.worker
    blocking = Redis(connection_pool=redis_pool(settings, socket_timeout_s=settings.redis.socket_timeout_s + 5))
    leases = Redis(connection_pool=lease_pool(settings))
    try:
        yield Supervisor(
            parts.redis,
            blocking,
            parts.keys,
            SupervisorConfig.from_settings(config),
            parts.build_player,
            lease_redis=leases,
            checkpoints=parts.checkpoints,
        )
    finally:
        await blocking.aclose()
        await leases.aclose()


@contextlib.asynccontextmanager
async def peer_links(parts: WorkerParts, supervisor: Supervisor) -> AsyncIterator[PeerWatch | None]:
    """This worker's beacon (open until the guilds were handed off) and its watch over the other workers."""
    config = parts.settings.worker
    if not config.peer_link:
        yield None
        return
    wildcard = config.peer_host in ("0.0.0.0", "::")  # noqa: S104 - a setting, documented
    advertise = config.peer_advertise or (socket.gethostname() if wildcard else config.peer_host)
    beacon = PeerBeacon(
        parts.redis, parts.keys, config.worker_id, host=config.peer_host, port=config.peer_port, advertise=advertise
    )
    address = await beacon.start()
    _log.info("peer link on %s:%d", address.host, address.port)
    try:
        yield PeerWatch(parts.redis, parts.keys, config.worker_id, supervisor)
    finally:
        await beacon.close()


@contextlib.asynccontextmanager
async def health_server(parts: WorkerParts) -> AsyncIterator[None]:
    port = parts.settings.worker.health_port
    if port is None:
        yield
        return
    health = HealthServer(
        host="0.0.0.0", port=port, metrics=parts.metrics, redis=parts.redis,  # noqa: S104
        ready=lambda: asyncio.sleep(0, result=True),
    )  # fmt: skip
    await health.start()
    try:
        yield
    finally:
        await health.stop()


async def serve(settings: Settings, voice_factory_builder: VoiceFactoryBuilder) -> None:
    """Run until SIGTERM/SIGINT, then hand off guilds and stop."""
    stop = asyncio.Event()
    install_stop_signals(stop)
    config = settings.worker
    async with (
        worker_parts(settings, voice_factory_builder) as parts,
        supervision(parts) as supervisor,
        peer_links(parts, supervisor) as peers,
        health_server(parts),
    ):
        rescue = JobRescue(
            parts.redis, parts.keys, config.worker_id, dead_after_ms=2 * config.lease_ms,
            interval_s=config.lease_ms / 1000,
        )  # fmt: skip
        jobs = arq_worker(parts, rescue)
        async with asyncio.TaskGroup() as group:
            tasks = [
                group.create_task(supervisor.run(), name="supervisor"),
                group.create_task(run_jobs(jobs), name="jobs"),
                group.create_task(report_metrics(parts, supervisor), name="metrics"),
                group.create_task(rescue.run(), name="job-rescue"),
            ]
            if config.canary_url is not None:
                canary = Canary(parts.resolver.parts, config.canary_url)
                tasks.append(group.create_task(canary.run(config.canary_interval_s), name="canary"))
            if peers is not None:
                tasks.append(group.create_task(peers.run(), name="peers"))
            _log.info("worker %s ready", config.worker_id)
            await stop.wait()
            _log.info("stopping: handing guilds off")
            await supervisor.shutdown()
            await drain_jobs(jobs)
            for task in tasks:
                task.cancel()
    _log.info("worker %s stopped", config.worker_id)
