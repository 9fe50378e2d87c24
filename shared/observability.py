"""Health, readiness and metrics over HTTP for both services, plus the logging and metrics API they share.

Each `__main__` builds one metrics object and one `HealthServer` and owns their lifetime:

    metrics = WorkerMetrics()
    health = HealthServer(host="0.0.0.0", port=settings.worker.health_port, metrics=metrics,
                          redis=redis, ready=supervisor_ready)
    await health.start()
    try: ...
    finally: await health.stop()

- `GET /healthz`: 200 while the process's event loop runs timers on time (a blocked loop cannot answer at all,
  so the probe times out); 503 once the loop monitor has not ticked for `stall_s`. Liveness only: no Redis.
- `GET /readyz`: 200 when Redis answers PING within `probe_timeout_s` and the service's `ready()` is true; else
  503. The body is JSON saying which part failed.
- `GET /metrics`: the Prometheus text exposition of `metrics.registry`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Final, Self

import orjson
from aiohttp import web
from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.observability_logging import (
    JsonFormatter,
    RedactingFilter,
    Redactor,
    TextFormatter,
    configure_logging,
)
from shared.observability_metrics import (
    CONTENT_TYPE,
    GatewayMetrics,
    InteractionOutcome,
    Metrics,
    ResolveKind,
    ResolveOutcome,
    TakeoverCause,
    WorkerMetrics,
)
from shared.redis_typing import aw

_log: Final = logging.getLogger(__name__)

type ReadyCheck = Callable[[], Awaitable[bool]]


class LoopMonitor:
    """Sleeps `interval_s` in a loop and records how late each wake-up was; `healthy` while ticks keep coming."""

    def __init__(self, metrics: Metrics, *, interval_s: float = 0.5, stall_s: float = 10.0) -> None:
        self._metrics = metrics
        self._interval_s = interval_s
        self._stall_s = stall_s
        self._last_tick = time.monotonic()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._last_tick = time.monotonic()
            self._task = asyncio.create_task(self._run(), name="encore-loop-monitor")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    @property
    def healthy(self) -> bool:
        alive = self._task is not None and not self._task.done()
        return alive and time.monotonic() - self._last_tick < self._stall_s

    async def _run(self) -> None:
        while True:
            due = time.monotonic() + self._interval_s
            await asyncio.sleep(self._interval_s)
            now = time.monotonic()
            self._metrics.loop_lag.observe(max(now - due, 0.0))
            self._last_tick = now


class HealthServer:
    """An aiohttp server for /healthz, /readyz and /metrics on `host:port` (port 0 picks a free one)."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        metrics: Metrics,
        redis: Redis,
        ready: ReadyCheck,
        probe_timeout_s: float = 2.0,
    ) -> None:
        self._host = host
        self._port = port
        self._metrics = metrics
        self._redis = redis
        self._ready = ready
        self._timeout_s = probe_timeout_s
        self._monitor: Final = LoopMonitor(metrics)
        self._runner: web.AppRunner | None = None

    @property
    def port(self) -> int:
        """The bound port (useful with port 0); the configured one before `start()`."""
        if self._runner is not None:
            for address in self._runner.addresses:
                if isinstance(address, tuple):
                    return int(address[1])
        return self._port

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics_page)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, self._host, self._port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._monitor.start()
        _log.info("health and metrics on http://%s:%d (/healthz /readyz /metrics)", self._host, self.port)

    async def stop(self) -> None:
        await self._monitor.stop()
        runner, self._runner = self._runner, None
        if runner is not None:
            async with asyncio.timeout(5):
                await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def _healthz(self, _: web.Request) -> web.Response:
        if self._monitor.healthy:
            return web.Response(text="ok\n")
        return web.Response(status=503, text="event loop monitor stalled\n")

    async def _readyz(self, _: web.Request) -> web.Response:
        redis_ok, service_ok = await asyncio.gather(self._ping_redis(), self._service_ready())
        self._metrics.redis_up.set(1 if redis_ok else 0)
        body = orjson.dumps({"redis": redis_ok, "service": service_ok})
        status = 200 if redis_ok and service_ok else 503
        return web.Response(status=status, body=body, content_type="application/json")

    async def _metrics_page(self, _: web.Request) -> web.Response:
        return web.Response(body=self._metrics.render(), headers={"Content-Type": CONTENT_TYPE})

    async def _ping_redis(self) -> bool:
        try:
            async with asyncio.timeout(self._timeout_s):
                return bool(await aw(self._redis.ping()))
        except (RedisError, OSError, TimeoutError) as exc:
            _log.warning("readiness: Redis did not answer PING: %s", exc)
            return False

    async def _service_ready(self) -> bool:
        try:
            async with asyncio.timeout(self._timeout_s):
                return bool(await self._ready())
        except TimeoutError:
            _log.warning("readiness: the service's readiness check took over %.1f s", self._timeout_s)
            return False


__all__ = [
    "GatewayMetrics",
    "HealthServer",
    "InteractionOutcome",
    "JsonFormatter",
    "LoopMonitor",
    "Metrics",
    "ReadyCheck",
    "RedactingFilter",
    "Redactor",
    "ResolveKind",
    "ResolveOutcome",
    "TakeoverCause",
    "TextFormatter",
    "WorkerMetrics",
    "configure_logging",
]
