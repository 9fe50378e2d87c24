"""Large playlists: first chunk at once, the rest through real arq chunk jobs, in order, idempotent, within limits."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import override

import pytest
from arq.connections import ArqRedis
from redis.asyncio import Redis

from gateway.wording import failures, formatting
from shared.command_store import CommandStore
from shared.event_store import EventStore
from shared.events import PlaylistProgress
from shared.failures import Stop, StopKind
from shared.jobs import IngestChunkRequest, ResolveStatus
from shared.keys import Keys
from shared.models import InsertPosition
from shared.queue_store import QueueStore
from shared.settings import WorkerSettings
from shared.settings_store import SettingsStore
from tests.media.documents import Feed
from tests.media.library import write_feed
from tests.media.server import MediaServer
from tests.resolve.conftest import (
    GUILD,
    OTHER_USER,
    USER,
    RecordingScheduler,
    WorkerRunner,
    make_request,
    run_burst_worker,
)
from worker.resolve.schedule_store import ArqChunkScheduler, chunk_job_id
from worker.resolve.service import ResolveService

_NUMBER = re.compile(r"#(\d+)$")


def numbers(titles: list[str]) -> list[int]:
    found = [_NUMBER.search(title) for title in titles]
    return [int(match.group(1)) for match in found if match]


async def queued(redis: Redis, keys: Keys) -> list[str]:
    return [item.track.title for item in await QueueStore(redis, keys).all_items(GUILD)]


async def progress_events(redis: Redis, keys: Keys) -> list[PlaylistProgress]:
    entries = await EventStore(redis, keys).wait("0-0", block_ms=10, count=10_000)
    return [entry.event for entry in entries if isinstance(entry.event, PlaylistProgress)]


@pytest.fixture
def small_feed(media_server: MediaServer) -> Callable[[int], str]:
    def make(items: int) -> str:
        path = media_server.root / "feeds" / f"small-{items}.xml"
        if not path.exists():
            feed = Feed(f"Small feed ({items})", "small", items, pubdate=False)
            write_feed(path, media_server.base, feed, media_server.root)
        return media_server.url(f"feeds/small-{items}.xml")

    return make


@pytest.mark.parametrize("path", ["podcast.xml", "playlist.xspf", "paged/p5000"])
async def test_5000_entries_arrive_in_order_through_chunk_jobs(
    arq_service: ResolveService,
    run_worker: WorkerRunner,
    media_server: MediaServer,
    redis: Redis,
    keys: Keys,
    path: str,
) -> None:
    await SettingsStore(redis, keys).update(GUILD, user_share_percent=100)  # one member may fill the queue here
    request = make_request(media_server.url(path))
    result = await arq_service.resolve(request)
    assert (result.status, result.queued, result.total, result.pending) == (ResolveStatus.QUEUED, 20, 5000, True)
    assert numbers(await queued(redis, keys)) == list(range(1, 21))

    worker = await run_worker()

    assert numbers(await queued(redis, keys)) == list(range(1, 5001))
    assert worker.jobs_complete == 10
    assert worker.jobs_failed == 0
    events = await progress_events(redis, keys)
    assert [e.queued for e in events] == [20, *range(520, 5000, 500), 5000]
    assert events[-1].done
    assert events[-1].stopped is None
    assert not await redis.exists(keys.staged(GUILD, request.request_id))


async def test_unusable_entries_are_skipped_without_ending_a_paged_playlist(
    arq_service: ResolveService, run_worker: WorkerRunner, media_server: MediaServer, redis: Redis, keys: Keys
) -> None:
    result = await arq_service.resolve(make_request(media_server.url("paged/x1200")))
    assert (result.queued, result.pending) == (18, True)
    await run_worker()
    assert numbers(await queued(redis, keys)) == [n for n in range(1, 1201) if n % 10]
    events = await progress_events(redis, keys)
    assert events[-1].done
    assert events[-1].stopped is None


async def test_a_duplicated_or_early_chunk_job_appends_nothing(
    service: ResolveService, scheduler: RecordingScheduler, small_feed: Callable[[int], str], redis: Redis, keys: Keys
) -> None:
    request = make_request(small_feed(1200))
    await service.resolve(request)
    assert scheduler.scheduled == [IngestChunkRequest(guild_id=GUILD, request_id=request.request_id, chunk_index=1)]

    chunk = scheduler.scheduled[0]
    early = await service.ingest_chunk(chunk.model_copy(update={"chunk_index": 2}))
    first = await service.ingest_chunk(chunk)
    again = await service.ingest_chunk(chunk)

    assert early.retry_after_s is not None
    assert early.appended == 0
    assert (first.appended, first.duplicate) == (500, False)
    assert (again.appended, again.duplicate) == (0, True)
    assert numbers(await queued(redis, keys)) == list(range(1, 521))
    assert [c.chunk_index for c in scheduler.scheduled] == [1, 2, 2]


async def announced(redis: Redis, keys: Keys) -> list[tuple[str, int | None, int | None]]:
    """The commands the owner was sent: (kind, issued by, text channel)."""
    entries = await CommandStore(redis, keys).read_after(GUILD, "0-0")
    return [(e.command.kind, e.command.issued_by, e.command.text_channel_id) for e in entries if e.command]


async def test_each_chunk_job_that_queued_items_tells_the_owner(
    service: ResolveService, scheduler: RecordingScheduler, small_feed: Callable[[int], str], redis: Redis, keys: Keys
) -> None:
    """An idle owner wakes on these (it does not watch the queue), however late the chunk lands."""
    await service.resolve(make_request(small_feed(1200), text_channel_id=777))
    assert await announced(redis, keys) == [("queue_changed", USER, 777)]
    chunk = scheduler.scheduled[0]
    await service.ingest_chunk(chunk)
    assert await announced(redis, keys) == [("queue_changed", USER, 777), ("queue_changed", USER, None)]
    await service.ingest_chunk(chunk)  # a retried job (its worker died after the append) announces it again
    assert len(await announced(redis, keys)) == 3


class DyingScheduler(RecordingScheduler):
    """The worker "dies" right after its append: enqueueing the next chunk raises once."""

    def __init__(self) -> None:
        super().__init__()
        self.deaths = 0

    @override
    async def schedule(self, request: IngestChunkRequest) -> None:
        if request.chunk_index == 2 and self.deaths == 0:
            self.deaths += 1
            raise ConnectionError("killed")
        await super().schedule(request)


async def test_a_chunk_job_rerun_after_its_worker_died_completes_the_playlist_once(
    arq_service: ResolveService,
    run_worker: WorkerRunner,
    arq_pool: ArqRedis,
    small_feed: Callable[[int], str],
    redis: Redis,
    keys: Keys,
) -> None:
    request = make_request(small_feed(1200))
    await arq_service.resolve(request)
    chunk1 = IngestChunkRequest(guild_id=GUILD, request_id=request.request_id, chunk_index=1)
    # First attempt of chunk 1 on a worker that dies after appending, before enqueueing chunk 2.
    dying = ResolveService(dataclasses.replace(arq_service.parts, scheduler=DyingScheduler()))
    with pytest.raises(ConnectionError):
        await dying.ingest_chunk(chunk1)
    assert len(await queued(redis, keys)) == 520
    # arq re-runs the job (it is still in its queue after a kill); a duplicate enqueue under another id runs too.
    await arq_pool.enqueue_job("ingest_chunk", chunk1.model_dump(mode="json"), _job_id=chunk_job_id(chunk1) + ":x")

    worker = await run_worker()

    assert numbers(await queued(redis, keys)) == list(range(1, 1201))
    assert worker.jobs_failed == 0
    events = await progress_events(redis, keys)
    assert events[-1].done
    assert events[-1].queued == 1200


async def test_user_share_stops_a_giant_playlist_and_says_why(
    arq_service: ResolveService,
    run_worker: WorkerRunner,
    media_server: MediaServer,
    redis: Redis,
    keys: Keys,
) -> None:
    await SettingsStore(redis, keys).update(GUILD, max_queue_length=1000, user_share_percent=60)
    result = await arq_service.resolve(make_request(media_server.url("paged/p5000")))
    assert result.status is ResolveStatus.QUEUED
    await run_worker()

    assert numbers(await queued(redis, keys)) == list(range(1, 601))
    events = await progress_events(redis, keys)
    assert events[-1].done
    assert events[-1].stopped == Stop(kind=StopKind.USER_SHARE, limit=600)
    assert formatting.playlist_progress(events[-1]).endswith(": your share of the queue is used up (600 items)")
    other = await arq_service.resolve(make_request("tone 1 mp3", requester_id=OTHER_USER))
    assert other.status is ResolveStatus.QUEUED
    assert len(await queued(redis, keys)) == 601


async def test_max_playlist_entries_caps_the_request(
    redis: Redis,
    keys: Keys,
    media_server: MediaServer,
    worker_settings: WorkerSettings,
    run_worker: WorkerRunner,
    arq_service: ResolveService,
    small_feed: Callable[[int], str],
) -> None:
    config = worker_settings.model_copy(update={"max_playlist_entries": 150})
    capped = ResolveService(dataclasses.replace(arq_service.parts, config=config))
    paged = await capped.resolve(make_request(media_server.url("paged/p5000")))
    feed = await capped.resolve(make_request(small_feed(1200)))
    assert (paged.total, feed.total) == (150, 150)
    await run_worker()
    assert len(await queued(redis, keys)) == 300
    stops = {e.stopped for e in await progress_events(redis, keys) if e.done}
    assert stops == {Stop(kind=StopKind.CAPPED, limit=150, of=5000), Stop(kind=StopKind.CAPPED, limit=150, of=1200)}
    assert failures.stop(Stop(kind=StopKind.CAPPED, limit=150, of=5000)) == (
        "only the first 150 of 5,000 entries are added"
    )


async def test_play_next_keeps_playlist_order_across_chunks(
    arq_service: ResolveService,
    run_worker: WorkerRunner,
    media_server: MediaServer,
    redis: Redis,
    keys: Keys,
) -> None:
    await arq_service.resolve(make_request("tone 1 mp3"))
    await arq_service.resolve(make_request("tone 2 mp3"))
    await arq_service.resolve(make_request(media_server.url("paged/p1200"), position=InsertPosition.NEXT))
    await run_worker()
    titles = await queued(redis, keys)
    assert numbers(titles[:1200]) == list(range(1, 1201))
    assert titles[1200:] == ["Test Tone 1 (220 Hz, mp3)", "Test Tone 2 (330 Hz, mp3)"]


class FlakyScheduler:
    """Enqueueing chunk 2 fails once (Redis hiccup); the chunk job is retried by arq and the chain goes on."""

    def __init__(self, inner: ArqChunkScheduler) -> None:
        self.inner = inner
        self.failures = 0

    async def schedule(self, request: IngestChunkRequest) -> None:
        if request.chunk_index == 2 and self.failures == 0:
            self.failures += 1
            raise ConnectionError("redis went away")
        await self.inner.schedule(request)


async def test_a_chunk_job_that_hits_a_redis_error_is_retried_by_arq(
    arq_service: ResolveService,
    arq_pool: ArqRedis,
    redis_url: str,
    small_feed: Callable[[int], str],
    redis: Redis,
    keys: Keys,
) -> None:
    flaky = FlakyScheduler(ArqChunkScheduler(arq_pool, keys.arq_queue()))
    service = ResolveService(dataclasses.replace(arq_service.parts, scheduler=flaky))
    await service.resolve(make_request(small_feed(1200)))
    worker = await run_burst_worker(redis_url, keys, service)
    assert flaky.failures == 1
    assert worker.jobs_retried == 1
    assert numbers(await queued(redis, keys)) == list(range(1, 1201))
