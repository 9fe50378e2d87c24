"""Shared fixtures: a real redis-server per test session, flushed before each test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from shared.keys import Keys
from tests.services.redis_server import RedisServer

pytest_plugins: list[str] = [
    "tests.netguard",
    "tests.audio.hop_watch",
    "tests.media.fixtures",
    "tests.services.music_fixtures",
    "tests.localdiscord.fixtures",
    "tests.voice.fixtures",
    "tests.e2e.fixtures",
    "tests.chaos.fixtures",
]


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(data_dir=Path(tmp_path_factory.mktemp("redis"))).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_url(redis_server: RedisServer) -> str:
    return redis_server.url


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client: Redis = Redis.from_url(redis_url, socket_timeout=5)
    await client.flushdb()
    yield client
    await client.aclose()


@pytest.fixture
def keys() -> Keys:
    return Keys()
