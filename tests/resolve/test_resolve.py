"""Resolving single links, pages, search text and M3U/PLS with real yt-dlp against the loopback media server."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from gateway.wording import formatting
from shared.command_store import CommandStore
from shared.event_store import EventStore
from shared.events import PlaylistProgress
from shared.failures import ProblemKind, Refusal, StopKind
from shared.jobs import ResolveStatus, SearchRequest, SearchStatus, SkipKind, Skipped
from shared.keys import Keys
from shared.models import CachedTracks, InsertPosition
from shared.queue_store import QueueStore
from shared.settings_store import SettingsStore
from tests.media.server import MediaServer
from tests.media.tones import CATALOG
from tests.resolve.conftest import GUILD, USER, make_request
from tests.services.redis_server import free_port
from worker.resolve.cache_store import ResolveCache
from worker.resolve.service import ResolveService

FORMATS = ["mp3", "ogg", "webm", "m4a", "flac", "wav"]


async def queued_titles(redis: Redis, keys: Keys) -> list[str]:
    return [item.track.title for item in await QueueStore(redis, keys).all_items(GUILD)]


@pytest.mark.parametrize("fmt", FORMATS)
async def test_direct_files_resolve_with_tags_and_stream(
    service: ResolveService, media_server: MediaServer, redis: Redis, keys: Keys, fmt: str
) -> None:
    url = media_server.url(f"media/tone2_330hz.{fmt}")
    result = await service.resolve(make_request(url))
    assert result.status is ResolveStatus.QUEUED, result.problem
    assert result.first is not None
    track = result.first.track
    assert (track.url, track.title, track.artist) == (url, f"Test Tone 2 (330 Hz, {fmt})", "Encore Test Artist")
    assert track.duration_ms is not None
    assert abs(track.duration_ms - 5000) < 200
    assert await queued_titles(redis, keys) == [track.title]

    outcome = await service.stream_for(result.first, GUILD)
    assert outcome.stream is not None, outcome.problem
    assert outcome.stream.url == url
    assert outcome.stream.is_opus is {"webm": True, "ogg": None}.get(fmt, False)
    assert outcome.stream.expires_at > 0


@pytest.mark.parametrize("path", ["media/tone2_330hz.mp3", "media/tone1_220hz.webm", "single.html"])
async def test_an_item_the_job_just_resolved_plays_without_a_second_extraction(
    service: ResolveService, media_server: MediaServer, path: str
) -> None:
    result = await service.resolve(make_request(media_server.url(path)))
    assert result.status is ResolveStatus.QUEUED, result.problem
    assert result.first is not None
    before = len(media_server.requests)
    outcome = await service.stream_for(result.first, GUILD)
    assert outcome.stream is not None, outcome.problem
    assert media_server.requests[before:] == [], "the stream came from the resolve job's own extraction"


async def test_the_job_that_queued_an_item_tells_the_owner_and_one_that_did_not_stays_quiet(
    service: ResolveService, media_server: MediaServer, redis: Redis, keys: Keys
) -> None:
    commands = CommandStore(redis, keys)
    queued = await service.resolve(make_request(media_server.url("media/tone2_330hz.mp3"), text_channel_id=777))
    assert queued.status is ResolveStatus.QUEUED
    failed = await service.resolve(make_request(media_server.url("missing/nothing-here.mp3")))
    assert failed.status is not ResolveStatus.QUEUED
    sent = [entry.command for entry in await commands.read_after(GUILD, "0-0")]
    assert [(c.kind, c.issued_by, c.text_channel_id) for c in sent if c] == [("queue_changed", USER, 777)]


async def test_html_pages_give_one_item_or_a_playlist(
    service: ResolveService, media_server: MediaServer, redis: Redis, keys: Keys
) -> None:
    single = await service.resolve(make_request(media_server.url("single.html")))
    assert single.status is ResolveStatus.QUEUED
    assert single.first is not None
    assert single.first.track.title == "Encore single tone (1)"
    many = await service.resolve(make_request(media_server.url("audio.html")))
    assert (many.status, many.queued, many.total, many.pending) == (ResolveStatus.QUEUED, 3, 3, False)
    assert await queued_titles(redis, keys) == [
        "Encore single tone (1)",
        "Encore test tones (1)",
        "Encore test tones (2)",
        "Encore test tones (3)",
    ]
    stream = await service.stream_for(single.first, GUILD)
    assert stream.stream is not None
    assert stream.stream.url.endswith("/media/tone1_220hz.mp3")


async def test_search_text_queues_the_best_result(service: ResolveService, redis: Redis, keys: Keys) -> None:
    result = await service.resolve(make_request("tone 3 flac"))
    assert result.status is ResolveStatus.QUEUED
    assert result.first is not None
    assert result.first.track.title == "Test Tone 3 (440 Hz, flac)"
    nothing = await service.resolve(make_request("no such song anywhere"))
    assert nothing.status is ResolveStatus.NOTHING_FOUND
    assert await queued_titles(redis, keys) == ["Test Tone 3 (440 Hz, flac)"]


async def test_search_job_returns_up_to_the_limit(service: ResolveService) -> None:
    result = await service.search(SearchRequest(query="tone 1", limit=5))
    assert result.status is SearchStatus.FOUND
    assert [t.title for t in result.tracks] == [
        "Test Tone 1 (220 Hz, mp3)",
        "Test Tone 1 (220 Hz, ogg)",
        "Test Tone 1 (220 Hz, webm)",
        "Test Tone 1 (220 Hz, m4a)",
        "Test Tone 1 (220 Hz, flac)",
    ]
    assert all(t.duration_ms == 5000 for t in result.tracks)
    assert (await service.search(SearchRequest(query="tone 1", limit=2))).tracks == result.tracks[:2]
    assert (await service.search(SearchRequest(query="zzz"))).status is SearchStatus.NOTHING_FOUND


async def test_m3u_and_pls_are_parsed_and_each_entry_guarded(
    service: ResolveService, media_server: MediaServer, redis: Redis, keys: Keys
) -> None:
    m3u = await service.resolve(make_request(media_server.url("lists/mix.m3u")))
    assert (m3u.status, m3u.queued, m3u.total) == (ResolveStatus.QUEUED, 5, 5)
    items = await QueueStore(redis, keys).all_items(GUILD)
    assert [item.track.url.rsplit("/", 1)[1] for item in items] == [
        "tone1_220hz.mp3",
        "tone1_220hz.ogg",
        "tone1_220hz.webm",
        "tone1_220hz.m4a",
        "tone1_220hz.flac",
    ]
    assert items[0].track.title == "Encore Test Artist - Test Tone 1 (220 Hz, mp3)"
    assert all("169.254" not in i.track.url and not i.track.url.startswith("file:") for i in items)
    pls = await service.resolve(make_request(media_server.url("lists/radio.pls")))
    assert (pls.status, pls.queued) == (ResolveStatus.QUEUED, 3)
    plain = await service.resolve(make_request(media_server.url("lists/plain.m3u8")))
    assert (plain.status, plain.queued) == (ResolveStatus.QUEUED, 3)
    assert len(await QueueStore(redis, keys).all_items(GUILD)) == 11


@pytest.mark.parametrize(
    "query",
    [
        "file:///etc/passwd",
        "http://127.0.0.2/x.mp3",
        "http://10.0.0.1/x.mp3",
        "http://[::1]/x.mp3",
        "http://2130706433/x.mp3",
        "http://169.254.169.254/latest/meta-data/",
        "http://a@127.0.0.1/x.mp3",
    ],
)
async def test_hostile_links_are_refused_before_yt_dlp(service: ResolveService, query: str) -> None:
    calls = service.ytdlp_calls
    result = await service.resolve(make_request(query))
    assert result.status is ResolveStatus.REFUSED
    assert result.problem is not None
    assert result.problem.refusal is not None
    assert service.ytdlp_calls == calls


async def test_a_redirect_to_a_refused_host_is_intercepted(service: ResolveService, media_server: MediaServer) -> None:
    target = f"http://127.0.0.2:{media_server.port}/media/tone1_220hz.mp3"
    result = await service.resolve(make_request(media_server.url(f"redirect?to={target}")))
    assert result.status is ResolveStatus.REFUSED, result.problem
    assert result.problem is not None
    assert (result.problem.refusal, result.problem.redirect) == (Refusal.LOOPBACK, True)
    assert formatting.resolve_outcome(result, InsertPosition.END, "x").content == (
        "🚫 That link can't be played: a redirect was refused: that host points to a loopback address."
    )


async def test_network_errors_are_reported_not_searched(service: ResolveService, media_server: MediaServer) -> None:
    searches = media_server.count("/search/")
    result = await service.resolve(make_request(f"http://127.0.0.1:{free_port()}/song-title.mp3"))
    assert result.status is ResolveStatus.FAILED
    assert result.problem is not None
    assert result.problem.kind is ProblemKind.NETWORK
    assert "could not be reached" in formatting.resolve_outcome(result, InsertPosition.END, "x").content
    assert media_server.count("/search/") == searches


async def test_cache_hits_skip_yt_dlp(service: ResolveService, media_server: MediaServer) -> None:
    url = media_server.url("media/tone3_440hz.m4a")
    first = await service.resolve(make_request(url))
    await service.resolve(make_request("tone 2 wav"))
    assert first.first is not None
    await service.stream_for(first.first, GUILD)
    calls, hits = service.ytdlp_calls, sum(media_server.hits.values())

    again = await service.resolve(make_request(url))
    searched = await service.resolve(make_request("tone 2 wav"))
    assert again.first is not None
    stream = await service.stream_for(again.first, GUILD)
    listed = await service.search(SearchRequest(query="tone 2 wav"))

    assert again.first.track == first.first.track
    assert searched.first is not None
    assert searched.first.track.title == "Test Tone 2 (330 Hz, wav)"
    assert stream.stream is not None
    assert [t.title for t in listed.tracks] == ["Test Tone 2 (330 Hz, wav)"]
    assert (service.ytdlp_calls, sum(media_server.hits.values())) == (calls, hits)


async def test_queue_limits_are_respected(
    service: ResolveService, media_server: MediaServer, redis: Redis, keys: Keys
) -> None:
    await SettingsStore(redis, keys).update(GUILD, max_queue_length=2, user_share_percent=100)
    url = media_server.url("media/tone1_220hz.mp3")
    results = [await service.resolve(make_request(url)) for _ in range(3)]
    assert [r.status for r in results] == [ResolveStatus.QUEUED, ResolveStatus.QUEUED, ResolveStatus.QUEUE_FULL]
    assert results[2].stopped is not None
    assert (results[2].stopped.kind, results[2].stopped.limit) == (StopKind.USER_SHARE, 2)
    assert formatting.resolve_outcome(results[2], InsertPosition.END, url).content == (
        "🚫 Nothing was added: your share of the queue is used up (2 items)."
    )
    assert len(await QueueStore(redis, keys).all_items(GUILD)) == 2


async def test_a_retried_resolve_job_queues_once(
    service: ResolveService, media_server: MediaServer, redis: Redis, keys: Keys
) -> None:
    request = make_request(media_server.url("audio.html"))
    await service.resolve(request)
    again = await service.resolve(request)
    assert again.status is ResolveStatus.QUEUED
    assert len(await QueueStore(redis, keys).all_items(GUILD)) == 3
    events = await EventStore(redis, keys).wait("0-0", block_ms=10)
    progress = [e.event for e in events if isinstance(e.event, PlaylistProgress)]
    assert progress
    assert progress[-1].done


async def test_the_cache_is_best_effort_when_redis_is_unreachable(keys: Keys) -> None:
    unreachable = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=1)
    cache = ResolveCache(unreachable)
    key = keys.resolved("http://127.0.0.1/a.mp3")
    try:
        await cache.put(key, CachedTracks(), 60)
        assert await cache.get(key, CachedTracks) is None
    finally:
        await unreachable.aclose()


async def test_a_cache_entry_that_does_not_validate_is_a_miss(redis: Redis, keys: Keys) -> None:
    cache = ResolveCache(redis)
    await redis.set(keys.resolved("http://127.0.0.1/a.mp3"), b'{"tracks": "nope"}')
    assert await cache.get(keys.resolved("http://127.0.0.1/a.mp3"), CachedTracks) is None


async def test_a_page_of_links_says_how_many_could_not_be_played(
    service: ResolveService, media_server: MediaServer
) -> None:
    """11 media links, 5 of them to addresses encore may not reach: 6 are queued and the 5 are counted by kind."""
    good = [f"{media_server.base}/{tone.file}" for tone in CATALOG[:6]]
    bad = ["http://10.0.0.1/a.mp3", "http://169.254.169.254/b.mp3", "http://192.168.1.1/c.mp3"]
    bad += ["http://127.0.0.2/d.mp3", "http://[::1]/e.mp3"]
    sources = "".join(f'<audio controls src="{url}"></audio>\n' for url in good[:3] + bad + good[3:])
    page = media_server.root / "pages" / "links.html"
    page.write_text(f"<!doctype html><html><head><title>Links</title></head><body>{sources}</body></html>")
    result = await service.resolve(make_request(media_server.url("pages/links.html")))
    assert (result.status, result.queued, result.total) == (ResolveStatus.QUEUED, 6, 6)
    assert result.skipped == (Skipped(kind=SkipKind.REFUSED, count=5),)
    assert formatting.resolve_outcome(result, InsertPosition.END, "links").content.startswith(
        "📜 Queued 6 of 11 tracks from **Links**; 5 could not be played: 5 blocked (private or local address)."
    )
    m3u = await service.resolve(make_request(media_server.url("lists/mix.m3u")))
    assert (m3u.queued, m3u.total, m3u.skipped) == (5, 5, (Skipped(kind=SkipKind.REFUSED, count=2),))
