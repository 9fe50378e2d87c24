"""Fixtures for link mirroring: the fake music services fed by a generated catalogue, its search index on the media
server (the `localsearch` plugin reads it), and resolvers whose mirror settings point at them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import pytest
from redis.asyncio import Redis

from shared.codec import dumps
from shared.keys import Keys
from shared.settings import MirrorSettings, WorkerSettings
from tests.media.catalogue import Catalogue, generate
from tests.media.server import MediaServer
from tests.media.tones import CATALOG
from tests.resolve.conftest import RecordingScheduler, started_service
from tests.services.music_services import Collection, FakeMusicServices
from tests.services.music_shapes import apple_id, deezer_id, spotify_id
from worker.resolve.service import ResolveService

CATALOGUE_SIZE = 1200
INDEX_PATH = "mirror/index.json"
AUDIO = CATALOG[0].file
"""Every catalogue upload plays this tone of the media library."""


def playlist_id(n: int) -> str:
    return f"{n:022d}".replace("0", "P", 1)


@pytest.fixture(scope="session")
def catalogue(media_server: MediaServer) -> Catalogue:
    """The generated catalogue, its uploads playing a short tone of the media server; the index written there."""
    made = generate(CATALOGUE_SIZE, base=media_server.base, audio=AUDIO)
    index = media_server.root / INDEX_PATH
    index.parent.mkdir(parents=True, exist_ok=True)
    index.write_bytes(dumps(made.index))
    return made


def fill(fake: FakeMusicServices) -> FakeMusicServices:
    """The collections every mirror test can use (ids by size: `playlist_id(250)` has 250 tracks)."""
    for size in (5, 150, 250, 1000):
        numbers = list(range(size))
        fake.spotify["playlist"][playlist_id(size)] = Collection(f"Spotify list {size}", numbers)
        fake.apple["playlist"][f"pl.encore{size:08d}"] = Collection(f"Apple list {size}", numbers)
        fake.deezer["playlist"][str(900_000 + size)] = Collection(f"Deezer list {size}", numbers)
    fake.spotify["album"][spotify_id(777)] = Collection("Spotify Album", list(range(100, 112)))
    fake.spotify["artist"][spotify_id(888)] = Collection("Ada Vance", list(range(200, 215)))
    fake.apple["album"]["7770001"] = Collection("Apple Album", list(range(100, 112)))
    fake.deezer["album"]["7770002"] = Collection("Deezer Album", list(range(100, 112)))
    return fake


@pytest.fixture
def music(catalogue: Catalogue) -> Iterator[FakeMusicServices]:
    with fill(FakeMusicServices(catalogue)) as fake:
        yield fake


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


__all__ = ["apple_id", "deezer_id", "playlist_id", "spotify_id"]
