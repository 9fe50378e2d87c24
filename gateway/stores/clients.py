"""Builds the gateway's Redis clients: short timeouts and a small retry budget so commands fail fast when Redis is
down (and answer "try again"), and one client with a longer socket timeout for blocking stream reads."""

from __future__ import annotations

from typing import Final

from arq.connections import ArqRedis

from shared.keys import Keys
from shared.redis_pool import Retries, arq_client, connection_pool
from shared.settings import RedisSettings

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
