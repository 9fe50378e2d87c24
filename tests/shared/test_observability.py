"""HealthServer over real HTTP and a real Redis; the metric set and its exposition."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from redis.asyncio import Redis

from shared.observability import GatewayMetrics, HealthServer, LoopMonitor, Metrics, WorkerMetrics
from tests.services.redis_server import free_port


async def _always(value: bool) -> bool:
    return value


async def _get(server: HealthServer, path: str) -> tuple[int, str, str]:
    timeout = aiohttp.ClientTimeout(total=5)
    async with (
        aiohttp.ClientSession(timeout=timeout) as session,
        session.get(f"http://127.0.0.1:{server.port}{path}") as response,
    ):
        return response.status, response.headers.get("Content-Type", ""), await response.text()


@pytest.fixture
async def worker_health(redis: Redis) -> AsyncIterator[tuple[HealthServer, WorkerMetrics]]:
    metrics = WorkerMetrics()
    server = HealthServer(host="127.0.0.1", port=0, metrics=metrics, redis=redis, ready=lambda: _always(True))
    async with server:
        yield server, metrics


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_healthz_readyz_and_metrics_answer(worker_health: tuple[HealthServer, WorkerMetrics]) -> None:
    server, _ = worker_health
    assert server.port > 0
    assert (await _get(server, "/healthz"))[0] == 200
    status, content_type, body = await _get(server, "/readyz")
    assert (status, content_type) == (200, "application/json")
    assert body == '{"redis":true,"service":true}'
    status, content_type, body = await _get(server, "/metrics")
    assert status == 200
    assert content_type.startswith("text/plain; version=")
    samples = _samples(body)
    assert samples[("encore_redis_up", ())] == 1
    assert any(name == "encore_build_info" and ("service", "worker") in labels for name, labels in samples)
    assert ("process_resident_memory_bytes", ()) in samples


async def test_readyz_is_503_when_the_service_is_not_ready(redis: Redis) -> None:
    server = HealthServer(host="127.0.0.1", port=0, metrics=GatewayMetrics(), redis=redis, ready=lambda: _always(False))
    async with server:
        status, _, body = await _get(server, "/readyz")
        assert (status, body) == (503, '{"redis":true,"service":false}')
        assert (await _get(server, "/healthz"))[0] == 200


async def test_readyz_is_503_when_redis_is_unreachable() -> None:
    unreachable = Redis(host="127.0.0.1", port=free_port(), socket_connect_timeout=0.5, socket_timeout=0.5)
    metrics = WorkerMetrics()
    server = HealthServer(host="127.0.0.1", port=0, metrics=metrics, redis=unreachable, ready=lambda: _always(True))
    try:
        async with server:
            status, _, body = await _get(server, "/readyz")
            assert (status, body) == (503, '{"redis":false,"service":true}')
            assert (await _get(server, "/healthz"))[0] == 200, "liveness must not depend on Redis"
            assert _samples((await _get(server, "/metrics"))[2])[("encore_redis_up", ())] == 0
    finally:
        await unreachable.aclose()


async def test_a_slow_readiness_check_times_out(redis: Redis) -> None:
    async def never() -> bool:
        await asyncio.sleep(30)
        return True

    server = HealthServer(
        host="127.0.0.1", port=0, metrics=GatewayMetrics(), redis=redis, ready=never, probe_timeout_s=0.2
    )
    async with server:
        status, _, body = await _get(server, "/readyz")
    assert (status, body) == (503, '{"redis":true,"service":false}')


async def test_stop_frees_the_port_and_start_fails_on_a_busy_port(redis: Redis) -> None:
    port = free_port()
    first = HealthServer(
        host="127.0.0.1", port=port, metrics=GatewayMetrics(), redis=redis, ready=lambda: _always(True)
    )
    await first.start()
    second = HealthServer(
        host="127.0.0.1", port=port, metrics=GatewayMetrics(), redis=redis, ready=lambda: _always(True)
    )
    with pytest.raises(OSError, match="address already in use"):
        await second.start()
    await first.stop()
    await second.start()
    assert second.port == port
    await second.stop()


async def test_loop_monitor_reports_a_stall_and_records_lag() -> None:
    metrics = Metrics("worker")
    monitor = LoopMonitor(metrics, interval_s=0.01, stall_s=0.05)

    def healthy() -> bool:  # a fresh read each time (mypy would narrow the property between asserts)
        return monitor.healthy

    assert not healthy(), "not healthy before it runs"
    monitor.start()
    await asyncio.sleep(0.03)
    assert healthy()
    await monitor.stop()
    assert not healthy()
    count = _samples(metrics.render().decode())[("encore_event_loop_lag_seconds_count", ())]
    assert count >= 1


def test_worker_metrics_exposition() -> None:
    metrics = WorkerMetrics()
    metrics.set_players(owned=5, playing=3)
    metrics.frames_missed(4)
    metrics.frames_missed(0)
    metrics.pacer_ticks(late=7, skipped=0)
    metrics.pacer_ticks(late=1, skipped=3)
    metrics.observe_first_audio(0.7)
    metrics.observe_resolve("search", "ok", 1.5)
    metrics.resolve_failed("not_found")
    metrics.resolve_failed("not_found")
    metrics.set_queue_depths([3, 10, 0])
    metrics.took_over("lost")
    metrics.took_over("handoff")
    metrics.took_over("handoff")
    metrics.observe_command("skip", issued_at_ms=10_000, now_ms=10_250)
    metrics.observe_command("skip", issued_at_ms=0)  # unstamped commands are not measured
    samples = _samples(metrics.render().decode())
    assert samples[("encore_players", ())] == 5
    assert samples[("encore_players_playing", ())] == 3
    assert samples[("encore_frame_deficit_frames_total", ())] == 4
    assert samples[("encore_pacer_late_ticks_total", ())] == 8
    assert samples[("encore_pacer_skipped_ticks_total", ())] == 3
    assert samples[("encore_time_to_first_audio_seconds_count", ())] == 1
    assert samples[("encore_resolve_duration_seconds_sum", (("kind", "search"), ("outcome", "ok")))] == 1.5
    assert samples[("encore_resolve_failures_total", (("class", "not_found"),))] == 2
    assert samples[("encore_queue_items", ())] == 13
    assert samples[("encore_queue_items_max", ())] == 10
    assert samples[("encore_takeovers_total", (("after", "lost"),))] == 1
    assert samples[("encore_takeovers_total", (("after", "handoff"),))] == 2
    assert samples[("encore_command_latency_seconds_count", (("kind", "skip"),))] == 1
    assert samples[("encore_command_latency_seconds_sum", (("kind", "skip"),))] == pytest.approx(0.25)
    assert samples[("encore_command_latency_seconds_bucket", (("kind", "skip"), ("le", "0.25")))] == 1


def test_gateway_metrics_exposition() -> None:
    metrics = GatewayMetrics()
    metrics.interaction("play", "ok")
    metrics.interaction("play", "refused")
    metrics.observe_ack("play", 0.12)
    metrics.command_sent("skip")
    samples = _samples(metrics.render().decode())
    assert samples[("encore_interactions_total", (("command", "play"), ("outcome", "ok")))] == 1
    assert samples[("encore_interactions_total", (("command", "play"), ("outcome", "refused")))] == 1
    assert samples[("encore_interaction_ack_seconds_count", (("command", "play"),))] == 1
    assert samples[("encore_commands_sent_total", (("kind", "skip"),))] == 1
    assert not any(name.startswith("encore_players") for name, _ in samples), "worker metrics stay in the worker"


def test_each_metrics_object_has_its_own_registry() -> None:
    first, second = WorkerMetrics(), WorkerMetrics()
    first.took_over("lost")
    assert _samples(first.render().decode())[("encore_takeovers_total", (("after", "lost"),))] == 1
    assert ("encore_takeovers_total", (("after", "lost"),)) not in _samples(second.render().decode())
