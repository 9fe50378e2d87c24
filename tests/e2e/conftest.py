"""Fixtures for end-to-end tests: the full stack with real processes against the fake Discord (DAVE v1)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from localdiscord.fake_discord import FakeDiscord
from tests.e2e.media import E2EMedia, make_e2e_media
from tests.e2e.stack import Stack, started_stack
from tests.media.server import MediaServer


@pytest.fixture(scope="session")
def e2e_media(media_server: MediaServer) -> E2EMedia:
    return make_e2e_media(media_server)


HOSTILE_STREAM_TIMEOUT_S = "2"
"""Hostile-media tests wait this long for a stalled stream (a server that hangs after its headers)."""


@pytest.fixture
async def hostile_stack(
    fake_discord: FakeDiscord, redis: Redis, redis_url: str, tmp_path: Path
) -> AsyncIterator[Stack]:
    """Like `stack` (tests/e2e/fixtures.py), with a short stream timeout."""
    env = {"ENCORE_WORKER__STREAM_TIMEOUT_S": HOSTILE_STREAM_TIMEOUT_S}
    async with started_stack(fake_discord, redis, redis_url, tmp_path / "logs", worker_env=env) as running:
        yield running
