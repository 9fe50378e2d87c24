"""The gateway's Redis clients and the stores built on each: short timeouts and a small retry budget on the command
client, so commands fail fast when Redis is down (and answer "try again"); a longer socket timeout on the stream
client, for blocking stream reads."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from arq.connections import ArqRedis
from redis.asyncio import Redis

from gateway.stores.cursors import CursorStore
from gateway.stores.messages import MessageStore
from gateway.stores.playlists import PlaylistStore
from gateway.stores.rate import RateLimitStore
from gateway.stores.recent import RecentStore
from gateway.stores.search_cache import ResolverSearchCache
from gateway.stores.votes import SkipVoteStore
from shared.active_store import ActiveGuildStore
from shared.command_store import CommandStore
from shared.event_store import EventStore
from shared.keys import Keys
from shared.lease_store import LeaseStore
from shared.player_store import PlayerStore
from shared.queue_store import QueueStore
from shared.redis_pool import Retries, arq_client, connection_pool
from shared.settings import GatewaySettings, RedisSettings
from shared.settings_store import SettingsStore
from shared.voice_store import VoiceStore

COMMAND_SOCKET_TIMEOUT_S: Final = 1.0
"""Interactions must be answered within 3 s, so one slow Redis call may not take most of that."""
STREAM_BLOCK_MS: Final = 1000
RETRIES: Final = Retries(attempts=2, base_s=0.05, cap_s=0.25)


def command_client(settings: RedisSettings, keys: Keys) -> ArqRedis:
    """For commands and arq: a Redis client that is also an arq pool (orjson, never pickle)."""
    timeout = min(settings.socket_timeout_s, COMMAND_SOCKET_TIMEOUT_S)
    return arq_client(connection_pool(settings, socket_timeout_s=timeout, retries=RETRIES), keys)


def stream_client(settings: RedisSettings, keys: Keys) -> ArqRedis:
    """For blocking XREADs: the socket timeout must outlast the block time."""
    timeout = max(settings.socket_timeout_s, STREAM_BLOCK_MS / 1000 + 2.0)
    return arq_client(connection_pool(settings, socket_timeout_s=timeout, retries=RETRIES), keys)


@dataclass(frozen=True, slots=True)
class Stores:
    """Every store on the command client, built once by the composition root, which hands each component the ones
    it uses."""

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
    votes: SkipVoteStore
    playlists: PlaylistStore

    @classmethod
    def build(cls, redis: Redis, keys: Keys, settings: GatewaySettings, *, search_providers: Sequence[str]) -> Stores:
        """`search_providers` is `Settings.search_providers`, the worker's chain: part of the search cache's keys."""
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
            searches=ResolverSearchCache(redis, keys, providers=search_providers),
            votes=SkipVoteStore(redis, keys),
            playlists=PlaylistStore(redis, keys),
        )


@dataclass(frozen=True, slots=True)
class Streams:
    """Blocking stream readers on the stream client (long socket timeout)."""

    events: EventStore
    voice_requests: VoiceStore

    @classmethod
    def build(cls, redis: Redis, keys: Keys) -> Streams:
        return cls(events=EventStore(redis, keys), voice_requests=VoiceStore(redis, keys))
