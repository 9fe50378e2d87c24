"""The parts a resolver is built from (yt-dlp, the URL guard, its stores and caches): one frozen object, built once
by the composition root, that the service, the stream resolver and the playlist ingest share."""

from __future__ import annotations

from dataclasses import dataclass

from shared.command_store import CommandStore
from shared.event_store import EventStore
from shared.keys import Keys
from shared.observability import WorkerMetrics
from shared.queue_store import QueueStore
from shared.settings import WorkerSettings
from shared.settings_store import SettingsStore
from worker.resolve.breaker_store import BreakerStore
from worker.resolve.cache_store import ResolveCache
from worker.resolve.guard import UrlGuard
from worker.resolve.request_store import RequestStore
from worker.resolve.schedule_store import ChunkScheduler
from worker.resolve.ytdlp import YtDlp


@dataclass(frozen=True, slots=True)
class ResolverParts:
    config: WorkerSettings
    keys: Keys
    providers: tuple[str, ...]
    """The operator's search provider chain (`Settings.search_providers`), in order."""
    ytdlp: YtDlp
    guard: UrlGuard
    queue: QueueStore
    commands: CommandStore
    """The guilds' command streams: a job that queued items appends QueueChanged (worker/resolve/enqueue.py)."""
    settings_store: SettingsStore
    events: EventStore
    cache: ResolveCache
    requests: RequestStore
    scheduler: ChunkScheduler
    metrics: WorkerMetrics
    breakers: BreakerStore
    ffmpeg_proxy: str | None = None
    """The worker's guarded proxy (worker/resolve/proxy.py) for ffprobe's opens; None: ffprobe connects itself."""
