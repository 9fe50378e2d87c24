"""The one builder of Redis connection pools: every service's clients differ only in timeouts, retries and name.

A connect never waits longer than one call may take. Retries (with exponential backoff) cover dropped connections
and timeouts; a pool without retries fails at once, for callers whose answer is worthless when late.
"""

from __future__ import annotations

from dataclasses import dataclass

from arq.connections import ArqRedis
from redis.asyncio import ConnectionPool
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from shared import codec
from shared.keys import Keys
from shared.settings import RedisSettings

HEALTH_CHECK_INTERVAL_S = 30
"""A connection idle this long is pinged before use, so a connection Redis dropped is replaced, not failed on."""


@dataclass(frozen=True, slots=True)
class Retries:
    attempts: int
    base_s: float
    cap_s: float


def connection_pool(
    settings: RedisSettings, *, socket_timeout_s: float, retries: Retries | None, client_name: str | None = None
) -> ConnectionPool:
    """A pool on `settings.url`; SystemExit when no URL is configured (the service cannot run without Redis)."""
    if settings.url is None:
        raise SystemExit("ENCORE_REDIS__URL is not set (scripts/run starts a local redis-server and sets it)")
    retry_args: dict[str, object] = {}
    if retries is not None:
        retry_args = {
            "retry": Retry(ExponentialBackoff(cap=retries.cap_s, base=retries.base_s), retries.attempts),
            "retry_on_error": [RedisConnectionError, RedisTimeoutError, OSError],
        }
    return ConnectionPool.from_url(
        settings.url,
        socket_timeout=socket_timeout_s,
        socket_connect_timeout=min(settings.connect_timeout_s, socket_timeout_s),
        health_check_interval=HEALTH_CHECK_INTERVAL_S,
        client_name=client_name,
        **retry_args,
    )


def arq_client(pool: ConnectionPool, keys: Keys) -> ArqRedis:
    """A Redis client that is also an arq pool on encore's resolve queue (job payloads as orjson, never pickle)."""
    return ArqRedis(pool, job_serializer=codec.dumps, job_deserializer=codec.loads, default_queue_name=keys.arq_queue())
