"""Mirrored links that give nothing to play: each is a clear problem kind (worded by the gateway), nothing is queued
half-way, nothing crashes; 429 and 5xx follow the services' policy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from redis.asyncio import Redis

from shared.failures import ProblemKind
from shared.jobs import ResolveStatus
from shared.keys import Keys
from shared.models import MirrorService
from shared.queue_store import QueueStore
from tests.resolve.conftest import GUILD, RecordingScheduler, make_request, started_service
from tests.resolve.mirror.conftest import mirror_settings
from tests.services.music_fixtures import playlist_id
from tests.services.music_services import Collection, FakeMusicServices
from tests.services.music_shapes import deezer_id, spotify_id
from worker.resolve.service import ResolveService

SPOTIFY = "https://open.spotify.com"


async def nothing_queued(redis: Redis, keys: Keys) -> bool:
    return await QueueStore(redis, keys).all_items(GUILD) == []


@pytest.mark.parametrize(
    ("link", "kind", "item"),
    [
        (f"{SPOTIFY}/episode/{spotify_id(1)}", ProblemKind.UNSUPPORTED_ITEM, "episode"),
        (f"spotify:show:{spotify_id(1)}", ProblemKind.UNSUPPORTED_ITEM, "show"),
        (f"{SPOTIFY}/audiobook/{spotify_id(1)}", ProblemKind.UNSUPPORTED_ITEM, "audiobook"),
        ("https://podcasts.apple.com/us/podcast/a-show/id1200361736", ProblemKind.UNSUPPORTED_ITEM, "podcast"),
        ("https://www.deezer.com/en/episode/123456", ProblemKind.UNSUPPORTED_ITEM, "episode"),
        (f"{SPOTIFY}/track/{spotify_id(1)[:15]}", ProblemKind.MALFORMED_LINK, None),
        (f"{SPOTIFY}/playlist/", ProblemKind.MALFORMED_LINK, None),
        ("spotify:track:", ProblemKind.MALFORMED_LINK, None),
        ("https://music.apple.com/us/album/name/", ProblemKind.MALFORMED_LINK, None),
        ("https://www.deezer.com/track/12ab", ProblemKind.MALFORMED_LINK, None),
    ],
)
async def test_bad_links_are_named_and_ask_no_service(
    embed_service: ResolveService, redis: Redis, keys: Keys, music: FakeMusicServices, link: str, kind: ProblemKind,
    item: str | None,
) -> None:  # fmt: skip
    result = await embed_service.resolve(make_request(link))
    assert result.status is ResolveStatus.FAILED and result.problem is not None
    assert (result.problem.kind, result.problem.item) == (kind, item)
    assert result.problem.service is not None
    assert music.requests_total() == 0 and await nothing_queued(redis, keys)


@pytest.mark.parametrize(
    ("link", "kind"),
    [
        (f"{SPOTIFY}/track/{spotify_id(99_999)}", ProblemKind.NOT_FOUND),  # a deleted track
        (f"{SPOTIFY}/playlist/{playlist_id(3)}", ProblemKind.NOT_FOUND),  # no such (or a private) playlist
        (f"https://www.deezer.com/track/{deezer_id(99_999)}", ProblemKind.NOT_FOUND),  # Deezer's "no data", HTTP 200
        ("https://music.apple.com/us/song/x/99999999", ProblemKind.NOT_FOUND),  # the lookup finds nothing
        ("https://music.apple.com/us/playlist/x/pl.encore99999999", ProblemKind.NOT_FOUND),
    ],
)
async def test_deleted_items(
    embed_service: ResolveService, redis: Redis, keys: Keys, link: str, kind: ProblemKind
) -> None:
    result = await embed_service.resolve(make_request(link))
    assert result.status is ResolveStatus.FAILED and result.problem is not None and result.problem.kind is kind
    assert await nothing_queued(redis, keys)


async def test_private_and_region_locked(
    api_service: ResolveService, redis: Redis, keys: Keys, music: FakeMusicServices
) -> None:
    music.private.add("900005")
    private = await api_service.resolve(make_request("https://www.deezer.com/playlist/900005"))
    assert private.problem is not None and private.problem.kind is ProblemKind.PRIVATE
    assert private.problem.service is MirrorService.DEEZER
    music.region_locked.update({7, 8})
    spotify = await api_service.resolve(make_request(f"{SPOTIFY}/track/{spotify_id(7)}"))
    deezer = await api_service.resolve(make_request(f"https://www.deezer.com/track/{deezer_id(8)}"))
    for result in (spotify, deezer):
        assert result.problem is not None and result.problem.kind is ProblemKind.REGION_LOCKED
    assert await nothing_queued(redis, keys)


async def test_html_instead_of_json(embed_service: ResolveService, music: FakeMusicServices) -> None:
    music.html("deezer", times=5)
    result = await embed_service.resolve(make_request(f"https://www.deezer.com/track/{deezer_id(1)}"))
    assert result.problem is not None and result.problem.kind is ProblemKind.SERVICE_ANSWER
    music.html("open", times=5)  # an embed page without its data
    page = await embed_service.resolve(make_request(f"{SPOTIFY}/track/{spotify_id(1)}"))
    assert page.problem is not None and page.problem.kind is ProblemKind.SERVICE_ANSWER


async def test_5xx_is_retried_with_backoff(embed_service: ResolveService, music: FakeMusicServices) -> None:
    music.fail("deezer", 503, times=2)
    result = await embed_service.resolve(make_request(f"https://www.deezer.com/track/{deezer_id(2)}"))
    assert result.status is ResolveStatus.QUEUED
    assert music.hits["deezer"] == 3


async def test_5xx_that_persists_is_reported(embed_service: ResolveService, music: FakeMusicServices) -> None:
    music.fail("itunes", 502, times=10)
    result = await embed_service.resolve(make_request("https://music.apple.com/us/song/x/1000002"))
    assert result.problem is not None and (result.problem.kind, result.problem.http_status) == (ProblemKind.HTTP, 502)
    assert music.hits["itunes"] == 3  # the first try and two retries


async def test_a_short_retry_after_is_waited_out_once(embed_service: ResolveService, music: FakeMusicServices) -> None:
    music.fail("deezer", 429, times=1, retry_after="1")
    result = await embed_service.resolve(make_request(f"https://www.deezer.com/track/{deezer_id(3)}"))
    assert result.status is ResolveStatus.QUEUED and music.hits["deezer"] == 2


async def test_a_long_retry_after_is_passed_on(embed_service: ResolveService, music: FakeMusicServices) -> None:
    music.fail("open", 429, times=1, retry_after="120")
    result = await embed_service.resolve(make_request(f"{SPOTIFY}/track/{spotify_id(3)}"))
    assert result.problem is not None and result.problem.kind is ProblemKind.RATE_LIMITED
    assert result.problem.retry_after_s == 120 and music.hits["open"] == 1
    again = await embed_service.resolve(make_request(f"{SPOTIFY}/track/{spotify_id(4)}"))
    assert again.problem is not None and again.problem.kind is ProblemKind.RATE_LIMITED
    assert again.problem.retry_after_s is not None and 110 <= again.problem.retry_after_s <= 120
    assert music.hits["open"] == 1, "asked again while it said wait"
    deezer = await embed_service.resolve(make_request(f"https://www.deezer.com/track/{deezer_id(5)}"))
    assert deezer.status is ResolveStatus.QUEUED, "another service is not quieted"


async def test_a_slow_service_times_out(
    redis: Redis, keys: Keys, music: FakeMusicServices, mirror_params: Mapping[str, Any], scheduler: RecordingScheduler
) -> None:
    settings = mirror_settings(music, api=False, timeout_s=0.3, retries=1)
    service = await started_service(redis, keys, settings, mirror_params, scheduler)
    try:
        music.slow("deezer", 1.5, times=2)
        result = await service.resolve(make_request(f"https://www.deezer.com/track/{deezer_id(4)}"))
    finally:
        service.close()
    assert result.problem is not None and result.problem.kind is ProblemKind.TIMED_OUT
    assert await nothing_queued(redis, keys)


async def test_a_wrong_client_secret_is_an_error_not_a_crash(
    redis: Redis, keys: Keys, music: FakeMusicServices, mirror_params: Mapping[str, Any], scheduler: RecordingScheduler
) -> None:
    settings = mirror_settings(music, api=True, spotify_client_secret="wrong")
    service = await started_service(redis, keys, settings, mirror_params, scheduler)
    try:
        result = await service.resolve(make_request(f"{SPOTIFY}/track/{spotify_id(4)}"))
    finally:
        service.close()
    assert result.problem is not None and (result.problem.kind, result.problem.http_status) == (ProblemKind.HTTP, 400)


async def test_data_out_of_every_range_is_not_a_crash(embed_service: ResolveService, music: FakeMusicServices) -> None:
    music.deezer["playlist"]["900777"] = Collection("Odd", [1, 2])
    music.counts["900777"] = -5  # Deezer says the playlist has -5 tracks
    result = await embed_service.resolve(make_request("https://www.deezer.com/playlist/900777"))
    assert result.problem is not None and result.problem.kind is ProblemKind.SERVICE_ANSWER
