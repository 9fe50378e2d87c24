"""Fixtures for link mirroring: the fake music services fed by a generated catalogue, its search index on the media
server (the `localsearch` plugin reads it), and resolvers whose mirror settings point at them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest
from redis.asyncio import Redis

from shared.keys import Keys
from shared.settings import MirrorSettings, WorkerSettings
from tests.media.server import MediaServer
from tests.resolve.conftest import RecordingScheduler, started_service
from tests.services.music_fixtures import INDEX_PATH, playlist_id
from tests.services.music_services import FakeMusicServices
from worker.resolve.service import ResolveService


@pytest.fixture
def mirror_params(media_server: MediaServer) -> Mapping[str, Any]:
    return {
        "extractor_args": {"localsearch": {"base": [media_server.base], "index": [INDEX_PATH]}},
        "socket_timeout": 5,
    }


def mirror_settings(music: FakeMusicServices, *, api: bool, **changes: Any) -> WorkerSettings:
    return WorkerSettings(
        worker_id="test-worker",
        allowed_hosts=("127.0.0.1",),
        first_chunk_size=20,
        chunk_size=500,
        ytdlp_threads=2,
        mirror=MirrorSettings(**(music.settings(api=api) | {"timeout_s": 2.0} | changes)),
    )


@pytest.fixture
async def embed_service(
    redis: Redis, keys: Keys, music: FakeMusicServices, mirror_params: Mapping[str, Any], scheduler: RecordingScheduler
) -> AsyncIterator[ResolveService]:
    """A resolver without Spotify credentials (the embed page), chunk jobs recorded."""
    started = await started_service(redis, keys, mirror_settings(music, api=False), mirror_params, scheduler)
    yield started
    started.close()


@pytest.fixture
async def api_service(
    redis: Redis, keys: Keys, music: FakeMusicServices, mirror_params: Mapping[str, Any], scheduler: RecordingScheduler
) -> AsyncIterator[ResolveService]:
    """A resolver with Spotify client credentials (the Web API), chunk jobs recorded."""
    started = await started_service(redis, keys, mirror_settings(music, api=True), mirror_params, scheduler)
    yield started
    started.close()


__all__ = ["playlist_id"]
