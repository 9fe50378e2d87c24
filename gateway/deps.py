"""The gateway's dependencies, built once at start-up and handed to every component."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from redis.asyncio import Redis

from gateway.shards import ShardFilter
from gateway.stores.cursors import CursorStore
from gateway.stores.jobs import Jobs
from gateway.stores.messages import MessageStore
from gateway.stores.rate import RateLimitStore
from gateway.stores.recent import RecentStore
from gateway.stores.search_cache import ResolverSearchCache
from shared.active_store import ActiveGuildStore
from shared.clock import now_ms
from shared.command_store import CommandStore
from shared.event_store import EventStore
from shared.keys import Keys
from shared.lease_store import LeaseStore
from shared.observability import GatewayMetrics
from shared.player_store import PlayerStore
from shared.queue_store import QueueStore
from shared.settings import GatewaySettings
from shared.settings_store import SettingsStore
from shared.voice_store import VoiceStore


@dataclass(frozen=True, slots=True)
class Stores:
    """Every store on the command client (short timeouts)."""

    queue: QueueStore
    players: PlayerStore
    commands: CommandStore
    settings: SettingsStore
    voice: VoiceStore
    active: ActiveGuildStore
    leases: LeaseStore
    messages: MessageStore
    rate: RateLimitStore
    recent: RecentStore
    cursors: CursorStore
    searches: ResolverSearchCache

    @classmethod
    def build(cls, redis: Redis, keys: Keys, settings: GatewaySettings, *, search_prefix: str) -> Stores:
        """`search_prefix` is `Settings.search_prefix`, the worker's search key: part of the search cache's keys."""
        return cls(
            queue=QueueStore(redis, keys),
            players=PlayerStore(redis, keys),
            commands=CommandStore(redis, keys),
            settings=SettingsStore(redis, keys),
            voice=VoiceStore(redis, keys),
            active=ActiveGuildStore(redis, keys),
            leases=LeaseStore(redis, keys),
            messages=MessageStore(redis, keys),
            rate=RateLimitStore(redis, keys, limit=settings.rate_limit_commands, window_s=settings.rate_limit_window_s),
            recent=RecentStore(redis, keys),
            cursors=CursorStore(redis, keys),
            searches=ResolverSearchCache(redis, keys, search_prefix=search_prefix),
        )


@dataclass(frozen=True, slots=True)
class Streams:
    """Blocking stream readers on the stream client (long socket timeout)."""

    events: EventStore
    voice_requests: VoiceStore

    @classmethod
    def build(cls, redis: Redis, keys: Keys) -> Streams:
        return cls(events=EventStore(redis, keys), voice_requests=VoiceStore(redis, keys))


@dataclass(frozen=True, slots=True)
class Deps:
    settings: GatewaySettings
    keys: Keys
    stores: Stores
    streams: Streams
    jobs: Jobs
    shards: ShardFilter
    clock: Callable[[], int] = field(default=now_ms)
    """Wall-clock milliseconds (progress bars, request ages)."""
    metrics: GatewayMetrics = field(default_factory=GatewayMetrics)
    """The process's metrics (`gateway.__main__` builds them; a test's deps get a registry of their own)."""
