"""Builds the gateway's Redis clients: short timeouts and a small retry budget so commands fail fast when Redis is
down (and answer "try again"), and one client with a longer socket timeout for blocking stream reads."""

from __future__ import annotations

from typing import Final

from arq.connections import ArqRedis
from redis.asyncio import ConnectionPool
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from shared import codec
from shared.keys import Keys
from shared.settings import RedisSettings

COMMAND_SOCKET_TIMEOUT_S: Final = 1.0
"""Interactions must be answered within 3 s, so one slow Redis call may not take most of that."""
STREAM_BLOCK_MS: Final = 1000
RETRIES: Final = 2


def _pool(settings: RedisSettings, *, socket_timeout: float) -> ConnectionPool:
    if settings.url is None:
        raise ValueError("ENCORE_REDIS__URL is not set (scripts/run sets it when it starts redis-server)")
    return ConnectionPool.from_url(
        settings.url,
        socket_timeout=socket_timeout,
        socket_connect_timeout=min(settings.connect_timeout_s, socket_timeout),
        retry=Retry(ExponentialBackoff(cap=0.25, base=0.05), RETRIES),
        retry_on_error=[RedisConnectionError, RedisTimeoutError],
        health_check_interval=30,
    )


def command_client(settings: RedisSettings, keys: Keys) -> ArqRedis:
    """For commands and arq: a Redis client that is also an arq pool (orjson, never pickle)."""
    timeout = min(settings.socket_timeout_s, COMMAND_SOCKET_TIMEOUT_S)
    return ArqRedis(
        _pool(settings, socket_timeout=timeout),
        job_serializer=codec.dumps,
        job_deserializer=codec.loads,
        default_queue_name=keys.arq_queue(),
    )


def stream_client(settings: RedisSettings, keys: Keys) -> ArqRedis:
    """For blocking XREADs: the socket timeout must outlast the block time."""
    timeout = max(settings.socket_timeout_s, STREAM_BLOCK_MS / 1000 + 2.0)
    return ArqRedis(_pool(settings, socket_timeout=timeout), default_queue_name=keys.arq_queue())
