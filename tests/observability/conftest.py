"""Fixtures for metric tests: the whole stack with /metrics served by the gateway and both workers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from tests.chaos.media import ChaosMedia, make_chaos_media, media_process
from tests.e2e.stack import Stack
from tests.fakediscord.fake_discord import FakeDiscord
from tests.gateway.e2e import build_world
from tests.services.redis_server import free_port


@pytest.fixture(scope="session")
def tones(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChaosMedia]:
    root = tmp_path_factory.mktemp("metrics-media")
    make_chaos_media(root)
    with media_process(root) as base:
        yield ChaosMedia(base)


@pytest.fixture
async def metered_stack(
    fake_discord: FakeDiscord, redis: Redis, redis_url: str, tmp_path: Path
) -> AsyncIterator[Stack]:
    """Gateway and workers w1, w2, each serving /metrics on a port of its own (`Stack.*health_port*`)."""
    world = await build_world(fake_discord)
    stack = Stack(
        fake_discord,
        world,
        redis,
        redis_url,
        tmp_path / "logs",
        worker_health_ports={"w1": free_port(), "w2": free_port()},
        gateway_health_port=free_port(),
    )
    try:
        await asyncio.gather(stack.start_gateway(), stack.start_worker("w1"), stack.start_worker("w2"))
        yield stack
    finally:
        await stack.close()
