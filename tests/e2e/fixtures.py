"""The whole-stack fixture the end-to-end and chaos tests share (tests/e2e/stack.py); registered in tests/conftest.py.

A test that needs other settings (a short stream timeout, /metrics ports, a Redis of its own) builds its own with
`started_stack` beside the tests that need it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from localdiscord.fake_discord import FakeDiscord
from tests.e2e.stack import Stack, started_stack


@pytest.fixture
async def stack(fake_discord: FakeDiscord, redis: Redis, redis_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    """Gateway and two workers (w1, w2), started side by side; the test adds or kills processes as it needs."""
    async with started_stack(fake_discord, redis, redis_url, tmp_path / "logs") as running:
        yield running
