"""The provider chain against real yt-dlp: failing providers (tests/ytdlp_plugins, `localfail_<class>`) fail as the
real sites do, and text search, `/search` and the stream of a queued track move on to the next provider."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import pytest
from redis.asyncio import Redis

from shared.events import SubstitutionReason
from shared.failures import ProblemKind, ProviderFailure
from shared.jobs import ResolveStatus, SearchRequest, SearchStatus
from shared.keys import Keys
from shared.models import QueueItem
from shared.settings import WorkerSettings
from shared.settings_store import SettingsStore
from tests.media.server import MediaServer
from tests.media.tones import CATALOG
from tests.resolve.conftest import GUILD, USER, RecordingScheduler, make_request, started_service
from worker.resolve.breaker_store import BreakerPolicy, BreakerStore, Gate
from worker.resolve.providers import KNOWN, Provider
from worker.resolve.search import Searcher
from worker.resolve.service import ResolveService

BLOCKED = "localfail_bot_check"
TONE = "Test Tone 1 (220 Hz, mp3)"


def failures(service: ResolveService, provider: str, failure: str) -> float:
    value = service.parts.metrics.registry.get_sample_value(
        "encore_provider_failures_total", {"provider": provider, "class": failure}
    )
    return value or 0.0


def breaker_open(service: ResolveService, provider: str) -> float | None:
    return service.parts.metrics.registry.get_sample_value("encore_provider_breaker_open", {"provider": provider})


type ChainFactory = Callable[..., Awaitable[ResolveService]]


@pytest.fixture
async def chain(
    redis: Redis,
    keys: Keys,
    worker_settings: WorkerSettings,
    ytdlp_params: Mapping[str, Any],
    scheduler: RecordingScheduler,
) -> AsyncIterator[ChainFactory]:
    """Starts a service whose chain is the given providers (breakers open after two blocks)."""
    started: list[ResolveService] = []

    async def start(*providers: str) -> ResolveService:
        config = worker_settings.model_copy(update={"breaker_threshold": 2})
        started.append(await started_service(redis, keys, config, ytdlp_params, scheduler, providers))
        return started[-1]

    yield start
    for service in started:
        service.close()


async def test_a_text_search_plays_from_the_next_provider_when_the_first_is_blocked(
    chain: ChainFactory,
) -> None:
    service = await chain(BLOCKED, "localsearch")
    result = await service.resolve(make_request("tone 1 mp3"))
    assert result.status is ResolveStatus.QUEUED, result.problem
    assert result.first is not None
    assert (result.first.track.title, result.first.track.provider) == (TONE, "localsearch")
    assert failures(service, BLOCKED, "bot_check") == 1
    found = await service.search(SearchRequest(query="tone 1 mp3", guild_id=GUILD))
    assert found.status is SearchStatus.FOUND
    assert found.tracks[0].provider == "localsearch"


async def test_when_every_provider_fails_the_search_is_unavailable(
    chain: ChainFactory,
) -> None:
    service = await chain("localfail_network", "localfail_forbidden")
    result = await service.resolve(make_request("tone 1"))
    assert result.status is ResolveStatus.FAILED
    assert result.problem is not None
    assert result.problem.kind is ProblemKind.SEARCH_UNAVAILABLE
    assert failures(service, "localfail_network", "network") == 1
    assert failures(service, "localfail_forbidden", "forbidden") == 1


async def test_the_breaker_opens_skips_the_provider_and_closes_after_its_cool_down(
    chain: ChainFactory, redis: Redis, keys: Keys
) -> None:
    service = await chain(BLOCKED, "localsearch")
    now = [1_000_000]
    policy = BreakerPolicy(threshold=2, window_ms=60_000, cooldown_ms=30_000)
    breakers = BreakerStore(redis, keys, policy, clock=lambda: now[0])
    searcher = Searcher(dataclasses.replace(service.parts, breakers=breakers))
    for query in ("tone 1", "tone 2"):  # two blocks: the breaker opens
        assert await searcher.tracks(query, 5)
    assert failures(service, BLOCKED, "bot_check") == 2
    assert breaker_open(service, BLOCKED) == 1
    calls = service.ytdlp_calls
    assert await searcher.tracks("tone 3", 5)
    assert failures(service, BLOCKED, "bot_check") == 2, "an open breaker skips the provider"
    assert service.ytdlp_calls == calls + 1, "only the next provider was asked"
    now[0] += 30_000  # the cool-down is over: one search probes it, is blocked, and the breaker reopens
    assert await searcher.tracks("tone 1 mp3", 5)
    assert failures(service, BLOCKED, "bot_check") == 3
    assert await breakers.allow(BLOCKED) is Gate.OPEN
    now[0] += 30_000
    assert await breakers.allow("localsearch") is Gate.CLOSED
    for _ in range(2):
        await breakers.blocked("localsearch")
    assert await breakers.allow("localsearch") is Gate.OPEN
    now[0] += 30_000  # a provider that answers its probe closes its breaker
    assert await searcher.tracks("tone 2 mp3", 5, skip={BLOCKED})
    assert await breakers.allow("localsearch") is Gate.CLOSED
    assert breaker_open(service, "localsearch") == 0


async def test_network_failures_move_on_but_never_open_the_breaker(
    chain: ChainFactory,
) -> None:
    service = await chain("localfail_network", "localsearch")
    for query in ("tone 1", "tone 2", "tone 3"):
        assert await Searcher(service.parts).tracks(query, 5)
    assert failures(service, "localfail_network", "network") == 3
    assert await service.parts.breakers.allow("localfail_network") is Gate.CLOSED


async def test_a_guild_orders_its_own_chain_within_the_operators(chain: ChainFactory, redis: Redis, keys: Keys) -> None:
    service = await chain(BLOCKED, "localsearch")
    await SettingsStore(redis, keys).update(GUILD, search_providers=("localsearch", "youtube"))
    result = await service.resolve(make_request("tone 1 mp3"))
    assert result.first is not None
    assert result.first.track.provider == "localsearch"
    assert failures(service, BLOCKED, "bot_check") == 0, "the guild's chain starts with localsearch"


async def test_soundcloud_go_plus_previews_are_not_results(
    chain: ChainFactory,
) -> None:
    service = await chain("localcloud")
    tracks = await Searcher(service.parts).tracks("tone 1 mp3", 5)
    assert tracks is not None
    assert [t.title for t in tracks] == [TONE]
    assert all("goplus" not in t.url for t in tracks)


async def test_a_stream_that_is_only_a_preview_does_not_play(chain: ChainFactory, media_server: Any) -> None:
    service = await chain("localsearch")
    result = await service.resolve(make_request(media_server.url(f"goplus/{CATALOG[0].file}")))
    assert result.first is not None
    streamed = await service.stream_for(result.first, GUILD)
    assert streamed.stream is None
    assert streamed.problem is not None
    assert streamed.problem.kind is ProblemKind.NO_AUDIO


async def test_a_track_whose_stream_is_blocked_plays_from_the_next_provider(
    chain: ChainFactory,
) -> None:
    service = await chain("localtrap", "localsearch")
    result = await service.resolve(make_request("tone 1 mp3"))
    assert result.first is not None
    assert result.first.track.provider == "localtrap"
    item = QueueItem(uid=uuid.uuid4().hex, track=result.first.track, requester_id=USER)
    streamed = await service.stream_for(item, GUILD)
    assert streamed.stream is not None, streamed.problem
    assert streamed.substitution is SubstitutionReason.BLOCKED
    assert (streamed.item.track.title, streamed.item.track.provider) == (TONE, "localsearch")
    assert failures(service, "localtrap", ProviderFailure.BOT_CHECK.value) == 1


async def test_a_pasted_link_that_its_site_blocks_counts_against_that_sites_providers(
    chain: ChainFactory, media_server: MediaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """YouTube links count against youtube and youtubemusic (both stream from YouTube: `Provider.extractors`);
    here `localtrap` plays that part for the LocalBlocked extractor's links."""
    monkeypatch.setitem(KNOWN, "localtrap", Provider("localtrap", "localtrap", extractors=frozenset({"localblocked"})))
    service = await chain("localtrap", "localsearch")
    result = await service.resolve(make_request(media_server.url(f"blocked/bot_check/{CATALOG[0].file}")))
    assert result.status is ResolveStatus.FAILED
    assert failures(service, "localtrap", "bot_check") == 1
    assert failures(service, "localsearch", "bot_check") == 0
