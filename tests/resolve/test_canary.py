"""The canary resolves its URL as members' tracks are resolved, and its result is a metric."""

from __future__ import annotations

from shared.observability import WorkerMetrics
from tests.media.server import MediaServer
from tests.media.tones import CATALOG
from worker.resolve.canary import Canary
from worker.resolve.service import ResolveService

TONE = CATALOG[0].file


def sample(metrics: WorkerMetrics, name: str, labels: dict[str, str] | None = None) -> float | None:
    return metrics.registry.get_sample_value(name, labels or {})


async def test_a_playable_canary_is_up(service: ResolveService, media_server: MediaServer) -> None:
    metrics = service.parts.metrics
    assert await Canary(service.parts, media_server.url(TONE)).probe() == "ok"
    assert sample(metrics, "encore_canary_up") == 1
    assert sample(metrics, "encore_canary_runs_total", {"result": "ok"}) == 1
    assert (sample(metrics, "encore_canary_last_success_timestamp_seconds") or 0) > 0
    assert sample(metrics, "encore_canary_duration_seconds_count") == 1


async def test_a_blocked_canary_is_down_with_the_failure_class(
    service: ResolveService, media_server: MediaServer
) -> None:
    metrics = service.parts.metrics
    canary = Canary(service.parts, media_server.url(f"blocked/bot_check/{TONE}"))
    assert await canary.probe() == "bot_check"
    assert sample(metrics, "encore_canary_up") == 0
    assert sample(metrics, "encore_canary_runs_total", {"result": "bot_check"}) == 1
    assert sample(metrics, "encore_canary_last_success_timestamp_seconds") == 0
    assert await Canary(service.parts, media_server.url(f"goplus/{TONE}")).probe() == "no_audio"
    assert await Canary(service.parts, "http://10.0.0.1/video").probe() == "refused"
