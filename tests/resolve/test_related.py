"""Autoplay's related tracks through the real resolver and yt-dlp on the loopback media server: the mix of a video
(the `localtube` plugin stands in for YouTube's `watch?v=<id>&list=RD<id>`), else a search for the artists."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest
from redis.asyncio import Redis

from shared.keys import Keys
from shared.models import Track
from shared.settings import WorkerSettings
from tests.media.documents import tube_title
from tests.media.server import MediaServer
from tests.media.tones import ARTIST, CATALOG
from tests.resolve.conftest import RecordingScheduler, make_request, started_service
from worker.resolve.related import MixSource, fresh
from worker.resolve.service import ResolveService

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def radio_service(
    redis: Redis,
    keys: Keys,
    worker_settings: WorkerSettings,
    ytdlp_params: Mapping[str, Any],
    media_server: MediaServer,
) -> AsyncIterator[ResolveService]:
    settings = worker_settings.model_copy(
        update={"mix_url": media_server.url("tube/mix/{id}"), "mix_extractors": ("localtube",)}
    )
    started = await started_service(redis, keys, settings, ytdlp_params, RecordingScheduler())
    yield started
    started.close()


async def _resolved(service: ResolveService, url: str) -> Track:
    result = await service.resolve(make_request(url))
    assert result.first is not None, result
    return result.first.track


async def test_a_videos_mix_gives_its_neighbours_without_the_seed(
    radio_service: ResolveService, media_server: MediaServer
) -> None:
    seed = await _resolved(radio_service, media_server.url("tube/watch/t00"))
    assert (seed.extractor, seed.source_id) == ("LocalTube", "t00")
    found = await radio_service.related([seed], [seed], 3)
    assert [track.title for track in found] == [tube_title(15), tube_title(16), tube_title(17)]
    assert all(track.extractor == "LocalTube" for track in found)


async def test_what_played_lately_is_left_out(radio_service: ResolveService, media_server: MediaServer) -> None:
    seed = await _resolved(radio_service, media_server.url("tube/watch/t00"))
    played = [await _resolved(radio_service, media_server.url(f"tube/watch/t{k}")) for k in (15, 16, "01")]
    found = await radio_service.related([seed], [seed, *played], 3)
    assert [track.title for track in found] == [tube_title(17), tube_title(2), tube_title(3)]


async def test_a_track_without_a_mix_autoplays_by_its_artist(
    radio_service: ResolveService, media_server: MediaServer
) -> None:
    seed = await _resolved(radio_service, media_server.url(CATALOG[0].file))
    assert seed.artist == ARTIST
    found = await radio_service.related([seed], [seed], 4)
    assert [track.title for track in found] == [tone.title for tone in CATALOG[1:5]]


async def test_a_mix_that_does_not_resolve_falls_back_to_the_artist_search(radio_service: ResolveService) -> None:
    seed = Track(url="http://127.0.0.1:1/tube/watch/t99", title="gone", artist=ARTIST, source_id="t99")
    seed = seed.model_copy(update={"extractor": "LocalTube"})
    found = await radio_service.related([seed], [], 2)
    assert [track.title for track in found] == [tone.title for tone in CATALOG[:2]]


def test_the_youtube_mix_url_and_the_exclusion_rule(radio_service: ResolveService) -> None:
    youtube = MixSource(dataclasses.replace(radio_service.parts, config=WorkerSettings()))
    video = Track(url="https://www.youtube.com/watch?v=dQw4w9WgXcQ", title="v", source_id="dQw4w9WgXcQ")
    assert youtube.mix_url(video.model_copy(update={"extractor": "Youtube"})) == (
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=RDdQw4w9WgXcQ"
    )
    assert youtube.mix_url(video.model_copy(update={"extractor": "Generic"})) is None
    odd = video.model_copy(update={"extractor": "Youtube", "source_id": "a&b/c"})
    assert youtube.mix_url(odd) == "https://www.youtube.com/watch?v=a%26b%2Fc&list=RDa%26b%2Fc"
    same_id = Track(url="https://youtu.be/dQw4w9WgXcQ", title="v again", source_id="dQw4w9WgXcQ", extractor="youtube")
    other = Track(url="https://www.youtube.com/watch?v=other", title="o", source_id="other", extractor="Youtube")
    played = video.model_copy(update={"extractor": "Youtube"})
    assert fresh([same_id, other, other], [played], 5) == [other], "the same video by another URL is a repeat"
