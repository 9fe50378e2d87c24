"""Fixtures for metric tests: the whole stack with /metrics served by the gateway and both workers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from localdiscord.fake_discord import FakeDiscord
from tests.e2e.stack import Stack, started_stack
from tests.services.redis_server import free_port


@pytest.fixture
async def metered_stack(
    fake_discord: FakeDiscord, redis: Redis, redis_url: str, tmp_path: Path
) -> AsyncIterator[Stack]:
    """Gateway and workers w1, w2, each serving /metrics on a port of its own (`Stack.*health_port*`)."""
    ports = {"w1": free_port(), "w2": free_port()}
    async with started_stack(
        fake_discord, redis, redis_url, tmp_path / "logs", worker_health_ports=ports, gateway_health_port=free_port()
    ) as running:
        yield running
