"""The Prometheus metrics of each service: one registry per process, built in `__main__` and passed down.

Label values are always from small closed sets (command kinds, failure classes, outcomes), never guild or user
ids, so the number of series stays bounded however many guilds a process serves. docs/operations.md lists every
metric with its meaning.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from importlib.metadata import PackageNotFoundError, version
from typing import Final, Literal

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.gc_collector import GCCollector
from prometheus_client.platform_collector import PlatformCollector
from prometheus_client.process_collector import ProcessCollector

type Service = Literal["gateway", "worker"]
type InteractionOutcome = Literal["ok", "refused", "error"]
"""ok: answered as asked; refused: a member's mistake answered with a message (bad input, permission, rate limit);
error: a failure on encore's side (Redis down, damaged data, a bug, no answer in time)."""
type ResolveKind = Literal["url", "search", "playlist", "chunk", "stream"]
type ResolveOutcome = Literal["ok", "nothing_found", "queue_full", "refused", "failed", "error"]
"""A resolve's result status (ok for queued or found), or error when the job raised."""
type TakeoverCause = Literal["handoff", "lost"]
"""handoff: the previous owner released the guild on a graceful stop; lost: its lease expired (crash, stall)."""

CONTENT_TYPE: Final = CONTENT_TYPE_LATEST
LATENCY_BUCKETS_S: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
FIRST_AUDIO_BUCKETS_S: Final = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 8.0, 13.0, 20.0)
RESOLVE_BUCKETS_S: Final = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0)
LOOP_LAG_BUCKETS_S: Final = (0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)


def encore_version() -> str:
    try:
        return version("encore")
    except PackageNotFoundError:
        return "unknown"


class Metrics:
    """What both services expose: build info, event-loop lag, and the process/GC/platform collectors."""

    def __init__(self, service: Service) -> None:
        self.service: Final = service
        self.registry: Final = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        info = Gauge(
            "encore_build_info",
            "Always 1; labels name the service and version.",
            ["service", "version"],
            registry=self.registry,
        )
        info.labels(service=service, version=encore_version()).set(1)
        self.loop_lag: Final = Histogram(
            "encore_event_loop_lag_seconds",
            "How late the event loop ran a timer it had scheduled (blocking code shows up here).",
            buckets=LOOP_LAG_BUCKETS_S,
            registry=self.registry,
        )
        self.redis_up: Final = Gauge(
            "encore_redis_up", "1 if the last readiness probe reached Redis, else 0.", registry=self.registry
        )

    def render(self) -> bytes:
        """The Prometheus text exposition of everything in this registry."""
        return generate_latest(self.registry)


class GatewayMetrics(Metrics):
    """Slash-command traffic as the gateway sees it."""

    def __init__(self) -> None:
        super().__init__("gateway")
        self.interactions: Final = Counter(
            "encore_interactions",
            "Interactions (slash commands, buttons) handled, by command name and outcome.",
            ["command", "outcome"],
            registry=self.registry,
        )
        self.ack_latency: Final = Histogram(
            "encore_interaction_ack_seconds",
            "From receiving an interaction to acknowledging it to Discord (reply or defer; Discord allows 3 s).",
            ["command"],
            buckets=LATENCY_BUCKETS_S,
            registry=self.registry,
        )
        self.commands_sent: Final = Counter(
            "encore_commands_sent",
            "Commands appended to guild command streams, by command kind.",
            ["kind"],
            registry=self.registry,
        )

    def interaction(self, command: str, outcome: InteractionOutcome) -> None:
        self.interactions.labels(command=command, outcome=outcome).inc()

    def observe_ack(self, command: str, seconds: float) -> None:
        self.ack_latency.labels(command=command).observe(max(seconds, 0.0))

    def command_sent(self, kind: str) -> None:
        self.commands_sent.labels(kind=kind).inc()


class WorkerMetrics(Metrics):
    """Players, audio pacing, resolving and ownership, as one worker sees them."""

    def __init__(self) -> None:
        super().__init__("worker")
        registry = self.registry
        self.players: Final = Gauge("encore_players", "Guild players this worker owns.", registry=registry)
        self.players_playing: Final = Gauge(
            "encore_players_playing", "Owned players currently sending audio.", registry=registry
        )
        self.frame_deficit: Final = Counter(
            "encore_frame_deficit_frames",
            "20 ms audio frames that were due but not ready in time (stutter).",
            registry=registry,
        )
        self.pacer_late_ticks: Final = Counter(
            "encore_pacer_late_ticks",
            "Frame clock ticks that ran a whole 20 ms frame or more late (the worker's event loop was busy).",
            registry=registry,
        )
        self.pacer_skipped_ticks: Final = Counter(
            "encore_pacer_skipped_ticks",
            "Frame clock ticks dropped after a stall too long to catch up on (audible gaps in every guild).",
            registry=registry,
        )
        self.time_to_first_audio: Final = Histogram(
            "encore_time_to_first_audio_seconds",
            "From the command that starts a track to its first audio frame sent.",
            buckets=FIRST_AUDIO_BUCKETS_S,
            registry=registry,
        )
        self.resolve_latency: Final = Histogram(
            "encore_resolve_duration_seconds",
            "Time to resolve input with yt-dlp, by kind (url, search, playlist, chunk, stream) and outcome.",
            ["kind", "outcome"],
            buckets=RESOLVE_BUCKETS_S,
            registry=registry,
        )
        self.resolve_failures: Final = Counter(
            "encore_resolve_failures", "Resolve failures by failure class.", ["class"], registry=registry
        )
        self._init_providers()
        self._init_queue_and_ownership()

    def _init_providers(self) -> None:
        registry = self.registry
        self.provider_failures = Counter(
            "encore_provider_failures",
            "Failed searches and streams by search provider and failure class (bot_check, po_token, ...).",
            ["provider", "class"],
            registry=registry,
        )
        self.provider_breaker_open = Gauge(
            "encore_provider_breaker_open",
            "1 while the provider's circuit breaker is open (searches skip it), 0 when closed, as last seen here.",
            ["provider"],
            registry=registry,
        )
        self.canary_up = Gauge(
            "encore_canary_up", "1 if the last canary resolve found a playable stream, else 0.", registry=registry
        )
        self.canary_runs = Counter(
            "encore_canary_runs", "Canary resolves by result (ok or the failure class).", ["result"], registry=registry
        )
        self.canary_last_success = Gauge(
            "encore_canary_last_success_timestamp_seconds",
            "When the canary last resolved a playable stream (Unix time).",
            registry=registry,
        )
        self.canary_duration = Histogram(
            "encore_canary_duration_seconds",
            "Time of one canary resolve, whatever its result.",
            buckets=RESOLVE_BUCKETS_S,
            registry=registry,
        )

    def provider_failed(self, provider: str, failure_class: str) -> None:
        """`failure_class` is a `shared.failures.ProviderFailure` value; `provider` a configured provider's name."""
        self.provider_failures.labels(provider=provider, **{"class": failure_class}).inc()

    def breaker_state(self, provider: str, *, opened: bool) -> None:
        self.provider_breaker_open.labels(provider=provider).set(1 if opened else 0)

    def canary(self, result: str, seconds: float) -> None:
        """`result` is "ok" or a `ProviderFailure` value (no_audio when a stream-less answer came back)."""
        self.canary_runs.labels(result=result).inc()
        self.canary_duration.observe(max(seconds, 0.0))
        self.canary_up.set(1 if result == "ok" else 0)
        if result == "ok":
            self.canary_last_success.set(time.time())

    def _init_queue_and_ownership(self) -> None:
        registry = self.registry
        self.queue_items = Gauge(
            "encore_queue_items", "Items queued, summed over the guilds this worker owns.", registry=registry
        )
        self.queue_items_max = Gauge(
            "encore_queue_items_max", "The longest queue among the guilds this worker owns.", registry=registry
        )
        self.takeovers = Counter(
            "encore_takeovers",
            "Guilds this worker took over while they were in voice, by how the previous owner let go.",
            ["after"],
            registry=registry,
        )
        self.command_latency = Histogram(
            "encore_command_latency_seconds",
            "From the gateway appending a command to the owning worker applying it, by command kind.",
            ["kind"],
            buckets=LATENCY_BUCKETS_S,
            registry=registry,
        )

    def set_players(self, owned: int, playing: int) -> None:
        self.players.set(owned)
        self.players_playing.set(playing)

    def frames_missed(self, frames: int = 1) -> None:
        if frames > 0:
            self.frame_deficit.inc(frames)

    def pacer_ticks(self, *, late: int, skipped: int) -> None:
        if late > 0:
            self.pacer_late_ticks.inc(late)
        if skipped > 0:
            self.pacer_skipped_ticks.inc(skipped)

    def observe_first_audio(self, seconds: float) -> None:
        self.time_to_first_audio.observe(max(seconds, 0.0))

    def observe_resolve(self, kind: ResolveKind, outcome: ResolveOutcome, seconds: float) -> None:
        self.resolve_latency.labels(kind=kind, outcome=outcome).observe(max(seconds, 0.0))

    def resolve_failed(self, failure_class: str) -> None:
        """`failure_class` is a `worker.resolve.failures.Failure` value (unsupported, not_found, http, …)."""
        self.resolve_failures.labels(failure_class).inc()

    def set_queue_depths(self, depths: Iterable[int]) -> None:
        values = list(depths)
        self.queue_items.set(sum(values))
        self.queue_items_max.set(max(values, default=0))

    def took_over(self, after: TakeoverCause) -> None:
        self.takeovers.labels(after=after).inc()

    def observe_command(self, kind: str, issued_at_ms: int, *, now_ms: int | None = None) -> None:
        """Record a command applied now; `issued_at_ms` is the command's wall-clock stamp from the gateway."""
        if issued_at_ms <= 0:
            return
        now = time.time() * 1000 if now_ms is None else now_ms
        self.command_latency.labels(kind=kind).observe(max(now - issued_at_ms, 0.0) / 1000)


__all__ = [
    "CONTENT_TYPE",
    "GatewayMetrics",
    "InteractionOutcome",
    "Metrics",
    "ResolveKind",
    "ResolveOutcome",
    "Service",
    "TakeoverCause",
    "WorkerMetrics",
    "encore_version",
]
