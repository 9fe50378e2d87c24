"""Fixtures for chaos tests: the full stack (gateway, two workers, redis, fake Discord with DAVE, media server)."""

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


@pytest.fixture(scope="session")
def chaos_media(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChaosMedia]:
    root = tmp_path_factory.mktemp("chaos-media")
    make_chaos_media(root)
    with media_process(root) as base:
        yield ChaosMedia(base)


@pytest.fixture
async def stack(fake_discord: FakeDiscord, redis: Redis, redis_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    """Gateway and two workers (w1, w2), started side by side."""
    world = await build_world(fake_discord)
    stack = Stack(fake_discord, world, redis, redis_url, tmp_path / "logs")
    try:
        await asyncio.gather(stack.start_gateway(), stack.start_worker("w1"), stack.start_worker("w2"))
        yield stack
    finally:
        await stack.close()
