"""Smart fallback: dead or unsupported links are searched for; weak matches, network errors and opt-outs are not."""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

from gateway.wording import failures
from shared.event_store import EventStore
from shared.events import SubstitutionReason, TrackSubstituted
from shared.failures import Fallback, ProblemKind
from shared.jobs import ResolveStatus
from shared.keys import Keys
from shared.models import QueueItem, Track
from shared.queue_store import QueueStore
from shared.settings_store import SettingsStore
from tests.media.server import MediaServer
from tests.resolve.conftest import GUILD, USER, make_request
from tests.services.redis_server import free_port
from worker.player.ports import StreamSource
from worker.player.resolver_streams import ResolverStreams
from worker.resolve.service import ResolveService


def item_for(url: str, title: str, duration_ms: int | None = 5000) -> QueueItem:
    track = Track(url=url, title=title, duration_ms=duration_ms)
    return QueueItem(uid=uuid.uuid4().hex, track=track, requester_id=USER)


async def substitutions(redis: Redis, keys: Keys) -> list[TrackSubstituted]:
    entries = await EventStore(redis, keys).wait("0-0", block_ms=10)
    return [entry.event for entry in entries if isinstance(entry.event, TrackSubstituted)]


async def test_a_dead_link_is_replaced_by_the_best_search_match(
    service: ResolveService, media_server: MediaServer, redis: Redis, keys: Keys
) -> None:
    for path, expected in [
        ("gone/Test-Tone-2-330-Hz-webm.webm", "Test Tone 2 (330 Hz, webm)"),
        ("removed/test_tone_1_220_hz_flac", "Test Tone 1 (220 Hz, flac)"),
    ]:
        url = media_server.url(path)
        result = await service.resolve(make_request(url))
        assert result.status is ResolveStatus.QUEUED, result.problem
        assert result.substituted_for == url
        assert result.first is not None
        assert result.first.track.title == expected
        assert result.first.substituted_for == url
    items = await QueueStore(redis, keys).all_items(GUILD)
    assert [i.substituted_for for i in items] == [
        media_server.url(p) for p in ("gone/Test-Tone-2-330-Hz-webm.webm", "removed/test_tone_1_220_hz_flac")
    ]


async def test_an_unsupported_page_is_searched_by_its_title(service: ResolveService, media_server: MediaServer) -> None:
    result = await service.resolve(make_request(media_server.url("pages/nomedia.html")))
    assert result.status is ResolveStatus.QUEUED
    assert result.first is not None
    assert result.first.track.title == "Test Tone 3 (440 Hz, ogg)"


async def test_weak_or_missing_matches_are_a_clear_failure(
    service: ResolveService, media_server: MediaServer, redis: Redis, keys: Keys
) -> None:
    searches = media_server.count("/search/")
    weak = await service.resolve(make_request(media_server.url("gone/tone")))
    unrelated = await service.resolve(make_request(media_server.url("pages/unrelated.html")))
    for result in (weak, unrelated):
        assert result.status is ResolveStatus.FAILED
        assert result.problem is not None
        assert result.problem.fallback is Fallback.NO_MATCH
        assert "no close match" in failures.sentence(result.problem)
    assert media_server.count("/search/") > searches
    assert await QueueStore(redis, keys).all_items(GUILD) == []


async def test_the_guild_can_opt_out(
    service: ResolveService, media_server: MediaServer, redis: Redis, keys: Keys
) -> None:
    await SettingsStore(redis, keys).update(GUILD, search_fallback=False)
    searches = media_server.count("/search/")
    result = await service.resolve(make_request(media_server.url("gone/test-tone-2-330-hz-webm")))
    assert result.status is ResolveStatus.FAILED
    assert result.problem is not None
    assert (result.problem.kind, result.problem.fallback) == (ProblemKind.NOT_FOUND, Fallback.OFF)
    assert failures.sentence(result.problem) == (
        "That link is unavailable (HTTP 404); search fallback is off on this server."
    )
    outcome = await service.stream_for(item_for(media_server.url("gone/x"), "Test Tone 1 (220 Hz, ogg)"), GUILD)
    assert outcome.stream is None
    assert outcome.problem is not None
    assert outcome.problem.fallback is Fallback.OFF
    assert media_server.count("/search/") == searches


async def test_a_play_time_substitution_says_why_and_leaves_the_announcement_to_the_player(
    service: ResolveService, media_server: MediaServer, redis: Redis, keys: Keys
) -> None:
    broken = media_server.url("gone/f00d")
    item = item_for(broken, "Test Tone 1 (220 Hz, ogg)")
    await service.prefetch(item, GUILD)

    outcome = await service.stream_for(item, GUILD)

    assert (outcome.substitution, outcome.detail) == (SubstitutionReason.GONE, "HTTP 404")
    assert outcome.stream is not None
    assert outcome.stream.url == media_server.url("media/tone1_220hz.ogg")
    assert (outcome.item.uid, outcome.item.substituted_for) == (item.uid, broken)
    assert outcome.item.track.title == "Test Tone 1 (220 Hz, ogg)"
    assert await substitutions(redis, keys) == [], "the player announces it, once it committed the substitute"


async def test_a_duration_mismatch_blocks_the_substitute(service: ResolveService, media_server: MediaServer) -> None:
    item = item_for(media_server.url("gone/abc"), "Test Tone 1 (220 Hz, ogg)", duration_ms=240_000)
    outcome = await service.stream_for(item, GUILD)
    assert outcome.stream is None
    assert outcome.problem is not None
    assert outcome.problem.fallback is Fallback.NO_MATCH


async def test_network_errors_at_play_time_are_not_searched(service: ResolveService, media_server: MediaServer) -> None:
    searches = media_server.count("/search/")
    item = item_for(f"http://127.0.0.1:{free_port()}/test-tone-1.mp3", "Test Tone 1 (220 Hz, mp3)")
    outcome = await service.stream_for(item, GUILD)
    assert outcome.stream is None
    assert outcome.problem is not None
    assert outcome.problem.kind is ProblemKind.NETWORK
    assert "could not be reached" in failures.sentence(outcome.problem, subject="It")
    assert media_server.count("/search/") == searches


async def test_the_players_stream_source_port_leaves_the_announcement_to_the_player(
    service: ResolveService, media_server: MediaServer, redis: Redis, keys: Keys
) -> None:
    source: StreamSource = ResolverStreams(service)
    ok = item_for(media_server.url("media/tone2_330hz.webm"), "Test Tone 2 (330 Hz, webm)")
    broken = item_for(media_server.url("gone/beef"), "Test Tone 2 (330 Hz, mp3)")
    await source.prefetch(GUILD, broken)

    played = await source.stream_for(GUILD, ok)
    substituted = await source.stream_for(GUILD, broken)

    assert played.stream is not None
    assert (played.stream.url, played.stream.is_opus, played.item) == (ok.track.url, True, ok)
    assert played.substitution is None
    assert substituted.stream is not None
    assert substituted.item.track.title == "Test Tone 2 (330 Hz, mp3)"
    assert substituted.item.substituted_for == broken.track.url
    assert (substituted.substitution, substituted.detail) == (SubstitutionReason.GONE, "HTTP 404")
    assert await substitutions(redis, keys) == []
