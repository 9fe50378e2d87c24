"""No unchecked hop in the resolver: ffprobe, yt-dlp and encore's own fetches against servers that redirect by user
agent or from the Nth request on, to metadata, private and non-allow-listed loopback addresses.

Loopback targets are sentinels (tests/audio/sentinel.py) whose accept count must stay 0; outside targets are never
contacted: in-process clients are watched by tests/netguard.py, ffprobe by tests/audio/connect_trace.py.
"""

from __future__ import annotations

import pytest
from arq.connections import ArqRedis
from redis.asyncio import Redis
from yt_dlp.utils import YoutubeDLError

from shared.failures import ProblemKind, Refusal
from shared.jobs import JobName, ResolveResult, ResolveStatus
from shared.keys import Keys
from shared.queue_store import QueueStore
from tests.audio.connect_trace import ConnectTrace
from tests.audio.hop_watch import no_hop_reached
from tests.audio.sentinel import OUTSIDE_TARGETS, PRIVATE_TARGETS, SENTINEL_HOSTS, Sentinel
from tests.media.hostile import Redirect
from tests.media.server import MediaServer
from tests.resolve.conftest import GUILD, WorkerRunner, make_request
from worker.resolve.failures import classify
from worker.resolve.probe import DirectProbe, probe
from worker.resolve.service import ResolveService

TONE = "media/tone2_330hz.mp3"
TONE_TITLE = "Test Tone 2 (330 Hz, mp3)"
BROWSER = "Mozilla"
"""What yt-dlp's User-Agent contains (a browser's)."""


def hits(server: MediaServer, path: str, agent: str = "") -> int:
    return sum(1 for seen, ua in server.agents if seen == "/" + path and agent in ua)


def sentinel_targets(sentinels: dict[str, Sentinel]) -> list[str]:
    return [sentinel.url() for sentinel in sentinels.values()]


# ffprobe (worker/resolve/probe.py)


@pytest.mark.parametrize("host", SENTINEL_HOSTS)
async def test_ffprobe_does_not_follow_a_redirect_by_user_agent(
    hop_server: MediaServer, sentinels: dict[str, Sentinel], connect_trace: ConnectTrace, host: str
) -> None:
    url = hop_server.redirect(TONE, Redirect(to=sentinels[host].url(), agent="Lavf"))
    probed = await probe(url)
    assert not probed.read
    assert hits(hop_server, TONE, "Lavf") == 1
    no_hop_reached(sentinels, connect_trace)


@pytest.mark.parametrize("target", OUTSIDE_TARGETS)
async def test_ffprobe_does_not_follow_a_redirect_outside(
    hop_server: MediaServer, sentinels: dict[str, Sentinel], connect_trace: ConnectTrace, target: str
) -> None:
    probed = await probe(hop_server.redirect(TONE, Redirect(to=target)))
    assert not probed.read
    assert connect_trace.connects(), "ffprobe was not traced"
    no_hop_reached(sentinels, connect_trace)


async def test_the_direct_probe_presents_yt_dlps_identity(
    service: ResolveService, hop_server: MediaServer, sentinels: dict[str, Sentinel], connect_trace: ConnectTrace
) -> None:
    """A server that redirects only FFmpeg's agent sees none: ffprobe sends the headers yt-dlp's stack sends."""
    url = hop_server.redirect(TONE, Redirect(to=sentinels["127.0.0.2"].url(), agent="Lavf"))
    probed = await DirectProbe(service.parts.ytdlp)(url)
    assert (probed.read, probed.title, probed.refused) == (True, TONE_TITLE, None)
    assert hits(hop_server, TONE, "Lavf") == 0
    assert hits(hop_server, TONE, BROWSER) >= 2  # the guarded hop check, then ffprobe
    no_hop_reached(sentinels, connect_trace)


@pytest.mark.parametrize("nth", [1, 2])
async def test_the_direct_probe_refuses_a_link_that_redirects_later(
    service: ResolveService,
    hop_server: MediaServer,
    sentinels: dict[str, Sentinel],
    connect_trace: ConnectTrace,
    nth: int,
) -> None:
    """nth=2: the guarded check is served, ffprobe is redirected (and stops); the check after it sees the hop."""
    for host, sentinel in sentinels.items():
        url = hop_server.redirect(TONE, Redirect(to=sentinel.url(), nth=nth))
        probed = await DirectProbe(service.parts.ytdlp)(url)
        assert probed.refused is not None, host
        assert probed.refused.redirect, host
        assert probed.refused.refusal is Refusal.LOOPBACK, host
    no_hop_reached(sentinels, connect_trace)


@pytest.mark.parametrize("target", OUTSIDE_TARGETS)
async def test_the_direct_probe_refuses_a_redirect_outside(
    service: ResolveService,
    hop_server: MediaServer,
    sentinels: dict[str, Sentinel],
    connect_trace: ConnectTrace,
    target: str,
) -> None:
    probed = await DirectProbe(service.parts.ytdlp)(hop_server.redirect(TONE, Redirect(to=target, agent=BROWSER)))
    assert probed.refused is not None
    assert connect_trace.connects() == [], "ffprobe ran on a link the guard refused"
    no_hop_reached(sentinels, connect_trace)


# yt-dlp extraction and encore's own fetches (worker/resolve/ytdlp.py)


@pytest.mark.parametrize("target", [*OUTSIDE_TARGETS, "sentinel"])
async def test_extraction_refuses_a_redirect(
    service: ResolveService, hop_server: MediaServer, sentinels: dict[str, Sentinel], target: str
) -> None:
    targets = sentinel_targets(sentinels) if target == "sentinel" else [target]
    for to in targets:
        url = hop_server.redirect(TONE, Redirect(to=to, agent=BROWSER))
        with pytest.raises(YoutubeDLError) as caught:
            await service.parts.ytdlp.extract(url, first=5, cap=5)
        assert classify(caught.value)[0].kind is ProblemKind.REFUSED
    no_hop_reached(sentinels)


@pytest.mark.parametrize("address", ["127.0.0.2", "::1", "10.0.0.8", "192.168.1.1", "fd00::1", "169.254.169.254"])
async def test_a_name_that_resolves_to_a_refused_address_is_never_connected_to(
    service: ResolveService,
    hop_server: MediaServer,
    sentinels: dict[str, Sentinel],
    fake_dns: dict[str, str],
    address: str,
) -> None:
    """The guard checks each resolved address before connecting: no handshake reaches it (netguard, sentinels)."""
    fake_dns["cdn.hops.test"] = address
    port = sentinels[address].port if address in sentinels else 80
    target = f"http://cdn.hops.test:{port}/latest/meta-data/"
    url = hop_server.redirect(TONE, Redirect(to=target, nth=2))
    assert await service.parts.ytdlp.final_url(url, {}) == url  # served; the 2nd request is redirected to the name
    for call in (
        lambda: service.parts.ytdlp.extract(target, first=5, cap=5),
        lambda: service.parts.ytdlp.fetch_text(target),
        lambda: service.parts.ytdlp.final_url(url, {}),
    ):
        with pytest.raises(YoutubeDLError) as caught:
            await call()
        assert classify(caught.value)[0].kind is ProblemKind.REFUSED
    no_hop_reached(sentinels)


@pytest.mark.parametrize("nth", [1, 2])
async def test_fetching_a_playlist_file_refuses_a_redirect(
    service: ResolveService, hop_server: MediaServer, sentinels: dict[str, Sentinel], nth: int
) -> None:
    for to in [*sentinel_targets(sentinels), *PRIVATE_TARGETS]:
        url = hop_server.redirect("lists/plain.m3u8", Redirect(to=to, nth=nth))
        for _ in range(nth - 1):
            await service.parts.ytdlp.fetch_text(url)
        with pytest.raises(YoutubeDLError) as caught:
            await service.parts.ytdlp.fetch_text(url)
        assert classify(caught.value)[0].kind is ProblemKind.REFUSED
    no_hop_reached(sentinels)


# the resolve service, as a /play of the link


async def test_play_of_a_link_that_redirects_ffmpegs_agent_reaches_no_hop(
    service: ResolveService,
    hop_server: MediaServer,
    sentinels: dict[str, Sentinel],
    connect_trace: ConnectTrace,
    redis: Redis,
    keys: Keys,
) -> None:
    url = hop_server.redirect(TONE, Redirect(to=sentinels["127.0.0.2"].url(), agent="Lavf"))
    result = await service.resolve(make_request(url))
    assert result.status is ResolveStatus.QUEUED, result.problem
    assert result.first is not None
    assert result.first.track.title == TONE_TITLE
    assert hits(hop_server, TONE, "Lavf") == 0
    assert len(await QueueStore(redis, keys).all_items(GUILD)) == 1
    no_hop_reached(sentinels, connect_trace)


@pytest.mark.parametrize("host", SENTINEL_HOSTS)
async def test_play_of_a_link_that_redirects_its_second_request_is_refused(
    service: ResolveService,
    hop_server: MediaServer,
    sentinels: dict[str, Sentinel],
    connect_trace: ConnectTrace,
    redis: Redis,
    keys: Keys,
    host: str,
) -> None:
    """yt-dlp's extraction is served; every later request (the probe's) is redirected to a refused address."""
    url = hop_server.redirect(TONE, Redirect(to=sentinels[host].url(), nth=2))
    result = await service.resolve(make_request(url))
    assert result.status is ResolveStatus.REFUSED, result.problem
    assert result.problem is not None
    assert result.problem.redirect
    assert await QueueStore(redis, keys).all_items(GUILD) == []
    no_hop_reached(sentinels, connect_trace)


async def test_a_resolve_job_for_such_a_link_is_refused(
    arq_service: ResolveService,
    arq_pool: ArqRedis,
    run_worker: WorkerRunner,
    hop_server: MediaServer,
    sentinels: dict[str, Sentinel],
    connect_trace: ConnectTrace,
    redis: Redis,
    keys: Keys,
) -> None:
    """The same /play as an arq resolve job, as the gateway enqueues it."""
    url = hop_server.redirect(TONE, Redirect(to=sentinels["127.0.0.2"].url(), nth=2))
    job = await arq_pool.enqueue_job(JobName.RESOLVE.value, make_request(url).model_dump(mode="json"))
    assert job is not None
    worker = await run_worker()
    assert (worker.jobs_complete, worker.jobs_failed) == (1, 0)
    result = ResolveResult.model_validate(await job.result(timeout=10))
    assert result.status is ResolveStatus.REFUSED, result.problem
    assert await QueueStore(redis, keys).all_items(GUILD) == []
    no_hop_reached(sentinels, connect_trace)
