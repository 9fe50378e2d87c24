"""Mirrored links through the resolver: queued at once as metadata from the (fake) services, matched just before
play through the `localsearch` plugin over the catalogue's index with decoys."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from shared.event_store import EventStore
from shared.events import PlaylistProgress
from shared.failures import ProblemKind, StopKind
from shared.jobs import ResolveStatus
from shared.keys import Keys
from shared.models import MatchMethod, MirrorService, QueueItem
from shared.queue_store import QueueStore
from shared.settings_store import SettingsStore
from tests.media.catalogue import Catalogue
from tests.resolve.conftest import GUILD, RecordingScheduler, make_request
from tests.services.music_fixtures import playlist_id
from tests.services.music_services import FakeMusicServices
from tests.services.music_shapes import apple_id, deezer_id, spotify_id
from worker.resolve.service import ResolveService

SPOTIFY = "https://open.spotify.com"


async def queued(redis: Redis, keys: Keys) -> list[QueueItem]:
    return await QueueStore(redis, keys).all_items(GUILD)


async def run_chunks(service: ResolveService, scheduler: RecordingScheduler) -> None:
    while scheduler.scheduled:
        await service.ingest_chunk(scheduler.scheduled.pop(0))


@pytest.mark.parametrize(
    "link",
    [
        f"{SPOTIFY}/track/{spotify_id(3)}",
        f"{SPOTIFY}/intl-de/track/{spotify_id(3)}?si=0123abcd",
        f"spotify:track:{spotify_id(3)}",
        f"{SPOTIFY}/embed/track/{spotify_id(3)}?utm_source=generator",
        f"open.spotify.com/track/{spotify_id(3)}",
    ],
)
async def test_a_spotify_track_is_queued_as_metadata_without_a_search(
    embed_service: ResolveService, redis: Redis, keys: Keys, music: FakeMusicServices, link: str
) -> None:
    calls = embed_service.ytdlp_calls
    result = await embed_service.resolve(make_request(link))
    assert result.status is ResolveStatus.QUEUED, result
    [item] = await queued(redis, keys)
    expected = music.track(3)
    assert item.track.mirror is MirrorService.SPOTIFY and item.match is None
    assert (item.track.title, item.track.artists) == (expected.title, expected.artists)
    assert item.track.duration_ms == expected.duration_s * 1000 and item.track.artwork_url
    assert item.track.url == f"{SPOTIFY}/track/{spotify_id(3)}"
    assert embed_service.ytdlp_calls - calls == 1  # the embed page; no search until it plays
    assert music.hits["open"] == 1


async def test_the_web_api_gives_isrc_album_and_whole_playlists(
    api_service: ResolveService, scheduler: RecordingScheduler, redis: Redis, keys: Keys, music: FakeMusicServices
) -> None:
    result = await api_service.resolve(make_request(f"{SPOTIFY}/playlist/{playlist_id(250)}?si=x"))
    assert result.status is ResolveStatus.QUEUED and result.queued == 20 and result.pending
    await run_chunks(api_service, scheduler)
    items = await queued(redis, keys)
    assert [i.track.title for i in items] == [t.title for t in music.catalogue.tracks[:250]]
    assert [i.track.isrc for i in items] == [t.isrc for t in music.catalogue.tracks[:250]]
    assert items[0].track.album == music.track(0).album
    assert music.hits["accounts"] == 1  # one token for every page
    assert music.hits["api"] == 1 + 3  # the playlist, then three pages of 100


async def test_album_and_artist_top_tracks(api_service: ResolveService, redis: Redis, keys: Keys) -> None:
    album = await api_service.resolve(make_request(f"spotify:album:{spotify_id(777)}"))
    assert album.status is ResolveStatus.QUEUED and album.playlist_title == "Spotify Album" and album.queued == 12
    artist = await api_service.resolve(make_request(f"{SPOTIFY}/artist/{spotify_id(888)}"))
    assert artist.queued == 10  # Spotify's top tracks are ten
    items = await queued(redis, keys)
    assert {i.track.album for i in items[:12]} == {"Spotify Album"}


async def test_the_embed_page_lists_100_tracks_and_the_member_is_told(
    embed_service: ResolveService, scheduler: RecordingScheduler, redis: Redis, keys: Keys
) -> None:
    events = EventStore(redis, keys)
    result = await embed_service.resolve(make_request(f"{SPOTIFY}/playlist/{playlist_id(250)}"))
    assert result.status is ResolveStatus.QUEUED
    await run_chunks(embed_service, scheduler)
    assert len(await queued(redis, keys)) == 100
    entries = await events.wait("0-0", 100, count=50)
    [done] = [e.event for e in entries if isinstance(e.event, PlaylistProgress) and e.event.done]
    assert done.stopped is not None and done.stopped.kind is StopKind.SERVICE_CUT and done.stopped.limit == 100
    assert done.stopped.service is MirrorService.SPOTIFY


@pytest.mark.parametrize(
    ("link", "count", "title"),
    [
        (f"https://music.apple.com/us/album/x/1000005?i={apple_id(5)}", 1, None),
        (f"https://music.apple.com/gb/song/x/{apple_id(5)}", 1, None),
        ("https://music.apple.com/us/album/apple-album/7770001", 12, "Apple Album"),
        ("https://music.apple.com/fr/playlist/apple-list/pl.encore00000150", 150, "Apple list 150"),
        (f"https://www.deezer.com/fr/track/{deezer_id(5)}?utm_source=x", 1, None),
        ("https://www.deezer.com/album/7770002", 12, "Deezer Album"),
        ("https://www.deezer.com/en/playlist/900250", 250, "Deezer list 250"),
    ],
)
async def test_apple_music_and_deezer(
    embed_service: ResolveService,
    scheduler: RecordingScheduler,
    redis: Redis,
    keys: Keys,
    catalogue: Catalogue,
    link: str,
    count: int,
    title: str | None,
) -> None:
    result = await embed_service.resolve(make_request(link))
    assert result.status is ResolveStatus.QUEUED, result
    assert result.playlist_title == title
    await run_chunks(embed_service, scheduler)
    items = await queued(redis, keys)
    assert len(items) == count
    first = catalogue.tracks[5] if count == 1 else catalogue.tracks[100 if count == 12 else 0]
    assert items[0].track.title == first.title
    if "deezer" in link:
        assert items[0].track.isrc == first.isrc  # Deezer gives ISRCs


async def test_a_second_play_of_a_link_asks_the_service_nothing(
    embed_service: ResolveService, music: FakeMusicServices
) -> None:
    link = "https://www.deezer.com/playlist/900005"
    await embed_service.resolve(make_request(link))
    before = music.requests_total()
    again = await embed_service.resolve(make_request(link))
    assert again.status is ResolveStatus.QUEUED and music.requests_total() == before


async def test_matching_happens_at_play_time_isrc_first(
    api_service: ResolveService, redis: Redis, keys: Keys, catalogue: Catalogue
) -> None:
    """Ladder: an upload with the ISRC wins; else the best score above the threshold; else a skip naming it."""
    by_isrc = next(t for t in catalogue.tracks if t.isrc and any(e["isrc"] == t.isrc for e in catalogue.index))
    by_text = next(t for t in catalogue.tracks if not t.isrc and t.number % 20 != 19)
    missing = next(t for t in catalogue.tracks if t.number % 20 == 19)
    for track in (by_isrc, by_text, missing):
        await api_service.resolve(make_request(f"{SPOTIFY}/track/{spotify_id(track.number)}"))
    first, second, third = await queued(redis, keys)
    isrc = await api_service.stream_for(first, GUILD)
    assert isrc.stream is not None and isrc.item.match is not None
    assert isrc.item.match.method is MatchMethod.ISRC and isrc.item.match.track.isrc == by_isrc.isrc
    text = await api_service.stream_for(second, GUILD)
    assert text.item.match is not None and text.item.match.method is MatchMethod.SCORE
    assert text.item.match.track.source_id in catalogue.acceptable(by_text.number)
    assert 0.7 <= text.item.match.score <= 1.0
    skipped = await api_service.stream_for(third, GUILD)
    assert skipped.stream is None and skipped.problem is not None
    assert skipped.problem.kind is ProblemKind.NO_MATCH and skipped.item.uid == third.uid
    assert skipped.problem.score is not None and skipped.problem.score < 0.7


async def test_prefetch_matches_ahead_and_the_match_is_cached(
    api_service: ResolveService, redis: Redis, keys: Keys
) -> None:
    await api_service.resolve(make_request(f"{SPOTIFY}/track/{spotify_id(1)}"))
    [item] = await queued(redis, keys)
    await api_service.prefetch(item, GUILD)
    calls = api_service.ytdlp_calls
    result = await api_service.stream_for(item, GUILD)
    assert result.stream is not None and result.item.match is not None
    assert api_service.ytdlp_calls == calls  # match and stream both came from the caches


async def test_a_huge_playlist_is_cut_by_the_queue_limit_and_says_so(
    api_service: ResolveService, scheduler: RecordingScheduler, redis: Redis, keys: Keys
) -> None:
    await SettingsStore(redis, keys).update(GUILD, max_queue_length=300, user_share_percent=100)
    result = await api_service.resolve(make_request(f"{SPOTIFY}/playlist/{playlist_id(1000)}"))
    assert result.status is ResolveStatus.QUEUED and result.total == 1000
    await run_chunks(api_service, scheduler)
    assert len(await queued(redis, keys)) == 300
    entries = await EventStore(redis, keys).wait("0-0", 100, count=50)
    [done] = [e.event for e in entries if isinstance(e.event, PlaylistProgress) and e.event.done]
    assert done.stopped is not None and done.queued == 300 and done.stopped.limit == 300
    assert done.stopped.kind in (StopKind.QUEUE_FULL, StopKind.USER_SHARE)  # the member's share is the whole queue


@pytest.mark.parametrize(("kind", "item", "count"), [("album", 777, 12), ("artist", 888, 15)])
async def test_albums_and_artists_from_the_embed_page(
    embed_service: ResolveService, redis: Redis, keys: Keys, catalogue: Catalogue, kind: str, item: int, count: int
) -> None:
    result = await embed_service.resolve(make_request(f"{SPOTIFY}/{kind}/{spotify_id(item)}"))
    assert result.status is ResolveStatus.QUEUED and result.queued == count
    items = await queued(redis, keys)
    first = catalogue.tracks[100 if kind == "album" else 200]
    assert (items[0].track.title, items[0].track.artists) == (first.title, first.artists)
    assert items[0].track.isrc is None  # the embed page carries none
