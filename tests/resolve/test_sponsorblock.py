"""SponsorBlock lookups: video ids from track URLs (hostile ones too), the untrusted answer, merging, and the client
against the fake API on the loopback media server through the guarded yt-dlp stack and a real Redis."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator

import orjson
import pytest
from redis.asyncio import Redis

from shared.keys import Keys
from shared.models import Matched, MatchMethod, MirrorService, QueueItem, SkipSegment, SponsorCategory, Track
from tests.media.server import MediaServer
from worker.player.resolver_streams import ResolverSegments
from worker.resolve.cache_store import ResolveCache
from worker.resolve.guard import UrlGuard
from worker.resolve.sponsorblock import (
    SponsorBlock,
    SponsorSegments,
    hash_prefix,
    merged,
    parse_answer,
    video_id,
    video_id_of_url,
    wanted,
)
from worker.resolve.ytdlp import YtDlp

VIDEO = "dQw4w9WgXcQ"
S = SponsorCategory


def seg(category: SponsorCategory, start_s: float, end_s: float) -> SkipSegment:
    return SkipSegment(category=category, start_ms=round(start_s * 1000), end_ms=round(end_s * 1000))


@pytest.mark.parametrize(
    "url",
    [
        f"https://www.youtube.com/watch?v={VIDEO}",
        f"https://youtube.com/watch?v={VIDEO}&list=PL123&t=42",
        f"http://m.youtube.com/watch?feature=share&v={VIDEO}",
        f"https://music.youtube.com/watch?v={VIDEO}&si=abc",
        f"https://youtu.be/{VIDEO}?t=10",
        f"https://www.youtube.com/shorts/{VIDEO}",
        f"https://www.youtube.com/embed/{VIDEO}",
        f"https://www.youtube.com/live/{VIDEO}?feature=share",
        f"https://WWW.YouTube.COM/watch?v={VIDEO}",
        f"https://www.youtube.com./watch?v={VIDEO}",
        f"https://www.youtube.com:443/watch?v={VIDEO}",
    ],
)
def test_video_ids_of_youtube_urls(url: str) -> None:
    assert video_id_of_url(url) == VIDEO


@pytest.mark.parametrize(
    "url",
    [
        f"https://youtube.com@evil.example/watch?v={VIDEO}",  # userinfo: the host is evil.example
        f"https://user:pw@www.youtube.com/watch?v={VIDEO}",
        f"https://evil.example/watch?v={VIDEO}",
        f"https://youtube.com.evil.example/watch?v={VIDEO}",
        f"https://notyoutube.com/watch?v={VIDEO}",
        f"https://youtu.be.evil.example/{VIDEO}",
        f"https://www.youtube.com:8080/watch?v={VIDEO}",
        f"https://www.youtube.com:99999/watch?v={VIDEO}",
        f"ftp://www.youtube.com/watch?v={VIDEO}",
        f"javascript:alert(1)//www.youtube.com/watch?v={VIDEO}",
        f"file:///www.youtube.com/watch?v={VIDEO}",
        "https://www.youtube.com/watch?v=short",
        f"https://www.youtube.com/watch?v={VIDEO}x",
        "https://www.youtube.com/watch?v=dQw4w9WgXc!",
        "https://www.youtube.com/watch?v=dQw4w9WgXc%00",
        f"https://www.youtube.com/watch?v={VIDEO}&v=aaaaaaaaaaa",
        f"https://www.youtube.com/watch/extra?v={VIDEO}",
        f"https://youtu.be/{VIDEO}/extra",
        f"https://www.youtube.com/shorts/{VIDEO}/more",
        f"https://www.youtube.com/playlist?list={VIDEO}",
        "https://www.youtube.com/watch?v=" + "a" * 5000,
        "https://[::1/watch?v=" + VIDEO,
        f"https://www.yоutube.com/watch?v={VIDEO}",
        "",
        "not a url",
    ],
)
def test_hostile_or_foreign_urls_have_no_video_id(url: str) -> None:
    assert video_id_of_url(url) is None


def test_video_id_from_yt_dlp_answer_when_the_url_does_not_say() -> None:
    track = Track(url="https://example.com/some/page", title="t", extractor="Youtube", source_id=VIDEO)
    assert video_id(track) == VIDEO
    assert video_id(track.model_copy(update={"extractor": "Generic"})) is None
    assert video_id(track.model_copy(update={"source_id": "../../etc"})) is None
    assert video_id(Track(url=f"https://youtu.be/{VIDEO}", title="t")) == VIDEO


def _answer(*entries: tuple[str, list[object]]) -> str:
    return orjson.dumps([{"videoID": v, "hash": "abcd", "segments": s} for v, s in entries]).decode()


def _raw(category: str, start: object, end: object, action: str = "skip") -> dict[str, object]:
    return {"segment": [start, end], "UUID": "u", "category": category, "actionType": action, "videoDuration": 300}


def test_only_the_asked_videos_skip_segments_are_kept() -> None:
    text = _answer(
        ("aaaaaaaaaaa", [_raw("sponsor", 1, 50)]),
        (VIDEO, [
            _raw("sponsor", 30, 70), _raw("intro", 0, 12), _raw("sponsor", 100, 110, "mute"),
            _raw("poi_highlight", 120, 121, "poi"), _raw("music_offtopic", 0, 300, "full"), _raw("chapter", 1, 9),
            _raw("exclusive_access", 0, 0, "full"),
        ]),
    )  # fmt: skip
    assert parse_answer(text, VIDEO).segments == (seg(S.INTRO, 0, 12), seg(S.SPONSOR, 30, 70))


@pytest.mark.parametrize(
    "segment",
    [
        _raw("sponsor", -5, 10),
        _raw("sponsor", 20, 10),
        _raw("sponsor", 10, 10.2),
        _raw("sponsor", "1", "9"),
        _raw("sponsor", True, 9),
        _raw("sponsor", None, 9),
        _raw("sponsor", 1, 10**12),
        _raw("sponsor", 1e308, 1e309),
        {"segment": [1, 2, 3], "category": "sponsor", "actionType": "skip"},
        {"segment": "1-9", "category": "sponsor", "actionType": "skip"},
        {"segment": [1, 9], "category": ["sponsor"], "actionType": "skip"},
        {"segment": [1, 9], "category": "sponsor", "actionType": None},
        "sponsor",
        None,
        [1, 9],
    ],
)
def test_malformed_segments_are_left_out(segment: object) -> None:
    assert parse_answer(_answer((VIDEO, [segment, _raw("intro", 0, 5)])), VIDEO).segments == (seg(S.INTRO, 0, 5),)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "null",
        "{}",
        '{"videoID": "x"}',
        "[1, 2]",
        f'[{{"videoID": "{VIDEO}", "segments": {{}}}}]',
        "<html>",
        "[" * 9,
    ],
)
def test_garbage_answers_mean_no_segments(text: str) -> None:
    assert parse_answer(text, VIDEO) == SponsorSegments()


def test_merging_joins_overlaps_and_touching_and_sorts() -> None:
    out = merged([
        seg(S.SPONSOR, 50, 60), seg(S.INTRO, 0, 10), seg(S.SELFPROMO, 55, 70), seg(S.OUTRO, 70, 80),
        seg(S.FILLER, 20, 30), seg(S.SPONSOR, 22, 25), None,
    ])  # fmt: skip
    assert out == (seg(S.INTRO, 0, 10), seg(S.FILLER, 20, 30), seg(S.SPONSOR, 50, 80))


def test_wanted_filters_by_the_guilds_categories_then_merges() -> None:
    segments = SponsorSegments(segments=(seg(S.INTRO, 0, 10), seg(S.SPONSOR, 5, 20), seg(S.OUTRO, 90, 100)))
    assert wanted(segments, (S.SPONSOR,)) == (seg(S.SPONSOR, 5, 20),)
    assert wanted(segments, (S.SPONSOR, S.INTRO)) == (seg(S.INTRO, 0, 20),)
    assert wanted(segments, ()) == ()


# ---- the client, through the guarded stack -------------------------------------------------------------------


@pytest.fixture
async def ytdlp() -> AsyncIterator[YtDlp]:
    client = YtDlp(UrlGuard(("127.0.0.1",)), threads=1, params={"socket_timeout": 5})
    await client.start()
    yield client
    client.close()


def _client(ytdlp: YtDlp, redis: Redis, keys: Keys, base: str) -> SponsorBlock:
    return SponsorBlock(ytdlp, ResolveCache(redis), keys, base_url=base, ttl_s=60, timeout_s=5)


async def test_segments_come_from_the_hash_prefix_endpoint_and_are_cached(
    ytdlp: YtDlp, redis: Redis, keys: Keys, media_server: MediaServer
) -> None:
    media_server.sponsorblock.add(VIDEO, "sponsor", 30.0, 70.5)
    media_server.sponsorblock.add(VIDEO, "mute_me", 1, 2)
    client = _client(ytdlp, redis, keys, media_server.base)
    before = len(media_server.requests)
    found = await client.segments(VIDEO)
    assert found == SponsorSegments(segments=(seg(S.SPONSOR, 30, 70.5),))
    asked = [path for path, _ in media_server.requests[before:]]
    prefix = hashlib.sha256(VIDEO.encode()).hexdigest()[:4]
    assert asked == [f"/api/skipSegments/{prefix}"] and prefix == hash_prefix(VIDEO), asked
    assert await client.segments(VIDEO) == found
    assert len(media_server.requests) == before + 1, "the second lookup is a cache hit"
    assert await redis.pttl(keys.sponsor_segments(VIDEO)) > 0


async def test_a_video_without_segments_is_cached_as_none(
    ytdlp: YtDlp, redis: Redis, keys: Keys, media_server: MediaServer
) -> None:
    client = _client(ytdlp, redis, keys, media_server.base)
    before = len(media_server.requests)
    assert await client.segments("zzzzzzzzzzz") == SponsorSegments()
    assert await client.segments("zzzzzzzzzzz") == SponsorSegments()
    assert len(media_server.requests) == before + 1


async def test_a_failing_api_caches_nothing(ytdlp: YtDlp, redis: Redis, keys: Keys, media_server: MediaServer) -> None:
    client = _client(ytdlp, redis, keys, media_server.base)
    media_server.sponsorblock.status = 500
    try:
        assert await client.segments(VIDEO) is None
    finally:
        media_server.sponsorblock.status = None
    assert await redis.exists(keys.sponsor_segments(VIDEO)) == 0
    assert await client.segments("yyyyyyyyyyy") == SponsorSegments(), "asked again once the API answers"


async def test_an_api_on_a_loopback_address_not_allow_listed_is_refused(
    redis: Redis, keys: Keys, media_server: MediaServer
) -> None:
    guarded = YtDlp(UrlGuard(()), threads=1, params={"socket_timeout": 5})
    await guarded.start()
    try:
        media_server.sponsorblock.add(VIDEO, "sponsor", 30.0, 70.0)
        before = len(media_server.requests)
        assert await _client(guarded, redis, keys, media_server.base).segments(VIDEO) is None
        assert len(media_server.requests) == before, "the guard refused before any connection"
    finally:
        guarded.close()


async def test_the_players_segments_are_those_of_the_video_heard(
    ytdlp: YtDlp, redis: Redis, keys: Keys, media_server: MediaServer
) -> None:
    """A mirrored track has no video of its own: its segments are its match's, once it is matched."""
    media_server.sponsorblock.add(VIDEO, "sponsor", 30.0, 70.5)
    source = ResolverSegments(_client(ytdlp, redis, keys, media_server.base))
    spotify = Track(
        url="https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC", title="song", mirror=MirrorService.SPOTIFY
    )
    unmatched = QueueItem(uid="a" * 32, track=spotify, requester_id=1)
    heard = Track(url=f"https://www.youtube.com/watch?v={VIDEO}", title="song (official audio)")
    matched = unmatched.model_copy(update={"match": Matched(track=heard, method=MatchMethod.ISRC, score=1.0)})
    assert not source.applies(unmatched) and await source.fetch(unmatched) is None
    assert source.applies(matched)
    assert await source.fetch(matched) == (seg(S.SPONSOR, 30, 70.5),)
    assert await source.known(matched) == (seg(S.SPONSOR, 30, 70.5),)
