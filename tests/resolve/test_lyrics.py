"""Lyrics lookups through the real resolver stack against a fake LRCLIB on 127.0.0.1 (tests/services/lrclib.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import pytest
from redis.asyncio import Redis

from shared.keys import Keys
from shared.lyrics import LyricsProblem, LyricsRequest, LyricsResult, LyricsStatus
from shared.settings import WorkerSettings
from tests.resolve.conftest import RecordingScheduler, started_service
from tests.services.lrclib import FakeLrclib, song
from worker.resolve.service import ResolveService

SYNCED = "[00:01.00]First line\n[00:02.50]Second line\n[00:04.00]Third line"
RECORDS = [
    song(1, "Encore Anthem", "The Testers", 30.0, plain="First line\nSecond line\nThird line", synced=SYNCED),
    song(2, "Encore Anthem", "Other Band", 30.0, plain="Not these words"),
    song(3, "Quiet Piece", "The Testers", 60.0, instrumental=True),
    song(4, "Long Version", "The Testers", 600.0, plain="Only the long one"),
    song(5, "Plain Only", "The Testers", 90.0, plain="Just plain words"),
    {"id": "junk", "trackName": 7},
]


@pytest.fixture
def lrclib() -> Iterator[FakeLrclib]:
    with FakeLrclib(records=list(RECORDS)) as server:
        yield server


@pytest.fixture
def worker_settings(lrclib: FakeLrclib) -> WorkerSettings:
    return WorkerSettings(
        worker_id="test-worker", allowed_hosts=("127.0.0.1",), ytdlp_threads=2, lrclib_url=lrclib.base
    )


def track(title: str, artist: str | None, seconds: float | None) -> LyricsRequest:
    duration_ms = None if seconds is None else int(seconds * 1000)
    return LyricsRequest(title=title, artist=artist, duration_ms=duration_ms)


async def test_the_playing_track_gets_its_own_lyrics(service: ResolveService, lrclib: FakeLrclib) -> None:
    result = await service.lyrics(track("Encore Anthem (Official Video)", "The Testers - Topic", 31.2))
    assert result.status is LyricsStatus.FOUND and result.lyrics is not None
    assert result.lyrics.lrclib_id == 1 and result.lyrics.plain.startswith("First line")
    assert [(line.at_ms, line.text) for line in result.lyrics.synced][:2] == [
        (1000, "First line"),
        (2500, "Second line"),
    ]
    assert lrclib.hits["/api/get"] == 1 and lrclib.hits["/api/search"] == 0
    assert all(agent.startswith("encore/") for agent in lrclib.agents), lrclib.agents


async def test_an_upload_titled_artist_dash_title(service: ResolveService) -> None:
    result = await service.lyrics(track("The Testers - Encore Anthem [Lyric Video]", "SomeUploader", 29.0))
    assert result.status is LyricsStatus.FOUND and result.lyrics is not None and result.lyrics.lrclib_id == 1


async def test_another_song_is_never_shown(service: ResolveService, lrclib: FakeLrclib) -> None:
    assert (await service.lyrics(track("Encore Anthem", "Nobody", 30.0))).status is LyricsStatus.NOT_FOUND
    assert (await service.lyrics(track("Encore Anthem", "The Testers", 45.0))).status is LyricsStatus.NOT_FOUND
    assert (await service.lyrics(track("Long Version", "The Testers", 200.0))).status is LyricsStatus.NOT_FOUND
    assert (await service.lyrics(track("just a title", None, 30.0))).status is LyricsStatus.NOT_FOUND
    assert lrclib.hits["/api/search"] == 3, "each track with an artist was searched for after the exact miss"


async def test_instrumental_and_plain_only(service: ResolveService) -> None:
    quiet = await service.lyrics(track("Quiet Piece", "The Testers", 60.0))
    assert quiet.status is LyricsStatus.INSTRUMENTAL
    plain = await service.lyrics(track("Plain Only", "The Testers", None))
    assert plain.status is LyricsStatus.FOUND and plain.lyrics is not None
    assert plain.lyrics.plain == "Just plain words" and plain.lyrics.synced == ()


async def test_a_query(service: ResolveService, lrclib: FakeLrclib) -> None:
    found = await service.lyrics(LyricsRequest(query="encore anthem the testers"))
    assert found.status is LyricsStatus.FOUND and found.lyrics is not None and found.lyrics.lrclib_id == 1
    missing = await service.lyrics(LyricsRequest(query="anthem"))
    assert missing.status is LyricsStatus.NOT_FOUND, "the query names only part of the title"
    assert lrclib.hits["/api/search"] == 2


async def test_finds_and_misses_are_cached(
    service: ResolveService, lrclib: FakeLrclib, redis: Redis, keys: Keys, worker_settings: WorkerSettings
) -> None:
    request = track("Encore Anthem", "The Testers", 30.0)
    first = await service.lyrics(request)
    miss = LyricsRequest(query="no such song")
    assert (await service.lyrics(miss)).status is LyricsStatus.NOT_FOUND
    asked = lrclib.requests
    assert await service.lyrics(request) == first
    assert (await service.lyrics(LyricsRequest(query="  NO such   song "))).status is LyricsStatus.NOT_FOUND
    assert lrclib.requests == asked, "both answered from the cache"
    ttls = sorted([await redis.ttl(key) for key in await redis.keys(f"{keys.prefix}:cache:lyrics:*")])
    assert len(ttls) == 2
    assert 0 < ttls[0] <= worker_settings.lyrics_miss_ttl_s < ttls[1] <= worker_settings.lyrics_cache_ttl_s


async def test_a_server_error_is_retried_once(service: ResolveService, lrclib: FakeLrclib) -> None:
    lrclib.fail(500, times=1)
    result = await service.lyrics(track("Encore Anthem", "The Testers", 30.0))
    assert result.status is LyricsStatus.FOUND and lrclib.requests == 2


async def test_lasting_server_errors_are_unavailable_and_not_cached(
    service: ResolveService, lrclib: FakeLrclib
) -> None:
    lrclib.fail(503, times=2)
    request = track("Encore Anthem", "The Testers", 30.0)
    failed = await service.lyrics(request)
    assert failed == LyricsResult(status=LyricsStatus.FAILED, problem=LyricsProblem.UNAVAILABLE)
    assert lrclib.requests == 2
    assert (await service.lyrics(request)).status is LyricsStatus.FOUND, "the failure was not cached"


async def test_a_rate_limit_is_respected(service: ResolveService, lrclib: FakeLrclib) -> None:
    lrclib.fail(429, times=1, retry_after="30")
    first = await service.lyrics(track("Encore Anthem", "The Testers", 30.0))
    assert first == LyricsResult(status=LyricsStatus.FAILED, problem=LyricsProblem.RATE_LIMITED, retry_after_s=30)
    second = await service.lyrics(track("Plain Only", "The Testers", 90.0))
    assert second.status is LyricsStatus.FAILED and second.problem is LyricsProblem.RATE_LIMITED
    assert second.retry_after_s is not None and 0 < second.retry_after_s <= 30
    assert lrclib.requests == 1, "nothing more was sent while LRCLIB asked to wait"


async def test_a_refused_lrclib_address(
    redis: Redis, keys: Keys, lrclib: FakeLrclib, ytdlp_params: Mapping[str, Any]
) -> None:
    settings = WorkerSettings(worker_id="test-worker", ytdlp_threads=1, lrclib_url=lrclib.base)
    refused = await started_service(redis, keys, settings, ytdlp_params, RecordingScheduler())
    try:
        result = await refused.lyrics(LyricsRequest(query="encore anthem"))
    finally:
        refused.close()
    assert result == LyricsResult(status=LyricsStatus.FAILED, problem=LyricsProblem.REFUSED)
    assert lrclib.requests == 0, "the guard refused before connecting"


@pytest.fixture
async def unreachable(redis: Redis, keys: Keys, ytdlp_params: Mapping[str, Any]) -> AsyncIterator[ResolveService]:
    with FakeLrclib() as gone:
        url = gone.base
    settings = WorkerSettings(worker_id="test-worker", allowed_hosts=("127.0.0.1",), ytdlp_threads=1, lrclib_url=url)
    service = await started_service(redis, keys, settings, ytdlp_params, RecordingScheduler())
    yield service
    service.close()


async def test_an_unreachable_lrclib(unreachable: ResolveService) -> None:
    result = await unreachable.lyrics(LyricsRequest(query="encore anthem"))
    assert result == LyricsResult(status=LyricsStatus.FAILED, problem=LyricsProblem.UNAVAILABLE)
