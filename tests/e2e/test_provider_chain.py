"""The provider chain through the whole stack: the gateway, a worker, redis-server, the fake Discord and the loopback
media server. The first search provider blocks every search with YouTube's bot check (tests/ytdlp_plugins,
`localfail_bot_check`): `/play` with text still plays, from the next provider; the worker's /metrics count the
block, and its canary (a bot-checked URL) reports the failure class."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from localdiscord.fake_discord import FakeDiscord
from localdiscord.waiting import wait_until_async
from tests.e2e.stack import Stack, started_stack
from tests.gateway.e2e import answer, text_of
from tests.localdiscord.fixtures import NEXTCORD_WARNINGS
from tests.media.server import MediaServer
from tests.media.tones import CATALOG
from tests.observability.scrape import Scrape, scrape
from tests.services.redis_server import free_port

pytestmark = [*NEXTCORD_WARNINGS, pytest.mark.e2e, pytest.mark.timeout(180)]

CHAIN = "localfail_bot_check,localsearch"
TONE = next(t for t in CATALOG if (t.n, t.fmt) == (1, "mp3"))


@pytest.fixture
async def chain_stack(
    fake_discord: FakeDiscord, redis: Redis, redis_url: str, tmp_path: Path, media_server: MediaServer
) -> AsyncIterator[Stack]:
    env = {
        "ENCORE_SEARCH_PROVIDERS": CHAIN,
        "LOCALSEARCH_BASE": media_server.base,
        "ENCORE_WORKER__CANARY_URL": media_server.url(f"blocked/bot_check/{TONE.file}"),
        "ENCORE_WORKER__CANARY_INTERVAL_S": "10",
    }
    async with started_stack(
        fake_discord, redis, redis_url, tmp_path / "logs", workers=1, worker_env=env,
        worker_health_ports={"w1": free_port()}, gateway_env={"ENCORE_SEARCH_PROVIDERS": CHAIN},
    ) as running:  # fmt: skip
        yield running


async def test_a_text_search_plays_from_the_next_provider_when_the_first_blocks(chain_stack: Stack) -> None:
    stack = chain_stack
    _, reply = await stack.command("play", {"query": "tone 1 mp3"})
    assert text_of(reply).startswith("🎶 Queued [Test Tone 1 \\(220 Hz, mp3\\)]"), text_of(reply)
    state = await stack.until_state(lambda s: s.now_playing is not None)
    assert state.now_playing is not None
    assert (state.now_playing.track.title, state.now_playing.track.provider) == (TONE.title, "localsearch")
    heard = await stack.hear(1.0)
    assert heard.seconds() >= 1.0

    port = stack.worker_health_ports["w1"]

    async def counted() -> Scrape | None:
        found = await scrape(port)
        return found if found.value("encore_canary_runs_total", result="bot_check") >= 1 else None

    metrics = await wait_until_async(counted, 20, lambda: "no canary run on /metrics\n" + stack.tail_logs())
    blocks = metrics.value("encore_provider_failures_total", provider="localfail_bot_check", **{"class": "bot_check"})
    assert blocks >= 1
    assert metrics.value("encore_canary_up") == 0


async def test_a_guilds_providers_are_checked_against_the_operators(chain_stack: Stack) -> None:
    world = chain_stack.world
    options = {"search_providers": "bandcamp, localsearch"}
    _, reply = await answer(world, "settings", world.admin, options, subcommand="set")
    assert reply.ephemeral
    assert text_of(reply) == (
        "⚠️ `bandcamp` is not a search provider here. Available: localfail_bot_check, localsearch."
    ), text_of(reply)
    _, reply = await answer(world, "settings", world.admin, {"search_providers": "localsearch"}, subcommand="set")
    assert reply.ephemeral and "Search providers: localsearch" in text_of(reply)
