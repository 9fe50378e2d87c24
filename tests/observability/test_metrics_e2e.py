"""Every metric the alerts rely on moves on a running stack: real gateway, two workers, redis-server, fake Discord.

One stack start-up for the lot (it is slow): play, queue, skip, a refused and a failed command, a resolve that
fails, kill -9 of the owner (a takeover after a lost lease) and SIGTERM of the next owner (a handoff); both
services' /metrics are scraped over HTTP and the labelled series are compared before and after.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from localdiscord.waiting import wait_until_async
from tests.chaos.media import ChaosMedia
from tests.e2e.stack import Stack
from tests.gateway.e2e import private_refusal
from tests.localdiscord.fixtures import NEXTCORD_WARNINGS
from tests.observability.scrape import Scrape, scrape
from tests.services.redis_server import free_port

pytestmark = [*NEXTCORD_WARNINGS, pytest.mark.e2e, pytest.mark.timeout(150)]


def _port(stack: Stack, name: str) -> int:
    port = stack.gateway_health_port if name == "gateway" else stack.worker_health_ports[name]
    assert port is not None
    return port


async def _until(
    stack: Stack, name: str, check: str, ready: Callable[[Scrape], bool], timeout_s: float = 10.0
) -> Scrape:
    """Scrape `name` until `ready(scrape)` holds (gauges are refreshed every second)."""

    async def probe() -> Scrape | None:
        found = await scrape(_port(stack, name))
        return found if ready(found) else None

    return await wait_until_async(probe, timeout_s, lambda: f"{name}: {check}\n{stack.tail_logs()}", interval=0.2)


async def _owner(stack: Stack, *, not_: str | None = None, timeout_s: float = 15.0) -> str:
    async def new_owner() -> str | None:
        owner = await stack.owner()
        return owner if owner != not_ else None

    return await wait_until_async(new_owner, timeout_s, lambda: f"a new owner\n{stack.tail_logs()}", interval=0.05)


async def _members_play_and_err(stack: Stack, chaos_media: ChaosMedia) -> str:
    """/play, a queued /play, /skip, a refused /resume, a /volume that fails, a /play whose resolve fails."""
    guild, alice = stack.world.guild.id, stack.world.alice.user.id
    await stack.command("play", {"query": chaos_media.url("ramp.mp3")})
    await stack.hear(1.0)
    owner = await _owner(stack)
    await stack.command("play", {"query": chaos_media.url("ramp.webm")})  # long enough to outlast the whole test
    queued = await _until(stack, owner, "a queue of 1", lambda s: s.value("encore_queue_items") == 1)
    assert queued.value("encore_queue_items_max") == 1
    skipped_at = stack.fake.clock()
    await stack.command("skip")
    await stack.until_state(lambda s: s.now_playing is not None and s.now_playing.track.url.endswith(".webm"))
    await stack.hear(0.5, since=skipped_at)  # the next track plays (a kill while it opens would skip it)
    await stack.command("resume")  # not paused: refused
    await stack.redis.set(stack.keys.rate(guild, alice), "not a number")  # the rate check fails: an error
    await stack.command("volume", {"level": 80})
    await stack.redis.delete(stack.keys.rate(guild, alice))
    world = stack.world
    query = {"query": f"http://127.0.0.1:{free_port()}/nobody-listens.mp3"}
    await private_refusal(world, await world.fake.invoke("play", member=world.alice, channel=world.text, options=query))
    return owner


def _check_gateway(gateway: Scrape) -> None:
    assert gateway.value("encore_interactions_total", command="play", outcome="ok") == 3
    assert gateway.value("encore_interactions_total", command="skip", outcome="ok") == 1
    assert gateway.value("encore_interactions_total", command="resume", outcome="refused") == 1
    assert gateway.value("encore_interactions_total", command="volume", outcome="error") == 1
    assert gateway.value("encore_interactions_total", outcome="error") == 1, "nothing else failed"
    assert gateway.value("encore_interaction_ack_seconds_count", command="play") == 3
    assert gateway.value("encore_commands_sent_total", kind="join") >= 2
    assert gateway.value("encore_commands_sent_total", kind="queue_changed") == 0, "the resolve job tells the owner"
    assert gateway.value("encore_commands_sent_total", kind="skip") == 1


def _check_workers(owner: Scrape, other: Scrape) -> None:
    assert owner.value("encore_time_to_first_audio_seconds_count") == 1, "one track started by a /play"
    assert owner.value("encore_time_to_first_audio_seconds_bucket", le="+Inf") == 1
    assert owner.value("encore_command_latency_seconds_count", kind="skip") == 1
    assert owner.value("encore_command_latency_seconds_count", kind="join") >= 1
    assert owner.value("encore_resolve_duration_seconds_count", kind="stream", outcome="ok") >= 2
    both = (owner, other)
    resolved = sum(w.value("encore_resolve_duration_seconds_count", kind="url", outcome="ok") for w in both)
    failed = sum(w.value("encore_resolve_duration_seconds_count", kind="url", outcome="failed") for w in both)
    network = sum(w.value("encore_resolve_failures_total", **{"class": "network"}) for w in both)
    assert (resolved, failed, network) == (2, 1, 1)
    assert all(w.value("encore_takeovers_total") == 0 for w in both)


async def test_the_series_behind_every_alert_move(metered_stack: Stack, chaos_media: ChaosMedia) -> None:
    stack = metered_stack
    owner = await _members_play_and_err(stack, chaos_media)
    other = "w2" if owner == "w1" else "w1"
    _check_gateway(await scrape(_port(stack, "gateway")))
    _check_workers(await scrape(_port(stack, owner)), await scrape(_port(stack, other)))

    await stack.workers[owner].kill()
    assert await _owner(stack, not_=owner) == other
    await _until(stack, other, "a takeover", lambda s: s.value("encore_takeovers_total", after="lost") == 1)

    await stack.start_worker(owner)
    assert await stack.workers[other].terminate() == 0
    assert await _owner(stack, not_=other) == owner
    after = await _until(
        stack,
        owner,
        "a handoff",
        lambda s: s.value("encore_takeovers_total", after="handoff") == s.value("encore_players") == 1,
    )
    assert after.value("encore_takeovers_total", after="lost") == 0
    await stack.hear(0.5, since=stack.fake.clock())  # and it plays on
