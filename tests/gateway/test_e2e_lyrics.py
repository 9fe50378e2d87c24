"""`/lyrics` through the real gateway process, the fake Discord and a stand-in lyrics job (tests/gateway/doubles.py).

The worker's side (LRCLIB, matching, cache) has its own tests (tests/resolve/test_lyrics.py) and the whole stack
tests/e2e/test_lyrics.py; here: the words, the pages, the refusals and that bad input changes nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from gateway.stores.clients import Stores
from localdiscord.fake_discord import FakeDiscord
from localdiscord.waiting import wait_until
from localdiscord.world.interactions import InteractionHandle
from shared.clock import now_ms
from shared.keys import Keys
from shared.models import PlayerState, QueueItem
from tests.factories import make_item
from tests.gateway.doubles import store_state
from tests.gateway.e2e import (
    GatewayProcess,
    World,
    answer,
    assert_quiet,
    build_world,
    changed,
    guild_state,
    invoke,
    private_refusal,
    redis_stores,
    running_gateway,
    text_of,
)

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("resolver")]


@pytest.fixture
async def world(fake_discord: FakeDiscord) -> World:
    return await build_world(fake_discord)


@pytest.fixture
async def gateway(world: World, redis_url: str, redis: Redis, tmp_path: Path) -> AsyncIterator[GatewayProcess]:
    async with running_gateway(world, redis_url, tmp_path / "gateway.log", "INFO") as process:
        yield process


@pytest.fixture
def stores(redis: Redis, keys: Keys) -> Stores:
    return redis_stores(redis, keys)


async def lyrics(world: World, options: dict[str, object] | None = None) -> tuple[bool, str]:
    """(ephemeral, text) of the visible answer to `/lyrics` by carol (who is in no voice channel)."""
    _, reply = await answer(world, "lyrics", world.carol, options)
    return reply.ephemeral, text_of(reply)


async def refused_privately(world: World, options: dict[str, object]) -> str:
    handle = await invoke(world, "lyrics", world.carol, options)
    return text_of(await private_refusal(world, handle))


async def test_the_track_playing_in_pages(world: World, gateway: GatewayProcess, stores: Stores) -> None:
    await store_state(stores, PlayerState(now_playing=make_item(7)), world.guild.id)
    ephemeral, first = await lyrics(world)
    assert not ephemeral
    assert "track 7 — Stand-in" in first and "line 1 of track 7" in first
    assert "Page 1/" in first and "/lyrics page:2 for more" in first
    pages = int(first.split("Page 1/")[1].split(" ")[0])
    assert pages >= 2
    _, last = await lyrics(world, {"page": pages})
    assert "line 150 of track 7" in last and "line 1 of" not in last and "for more" not in last
    beyond = await refused_privately(world, {"page": pages + 1})
    assert f"only {pages} pages." in beyond


async def test_queries_and_what_is_not_found(world: World, gateway: GatewayProcess) -> None:
    ephemeral, found = await lyrics(world, {"query": "some song"})
    assert not ephemeral and "line 1 of some song" in found
    _, quiet = await lyrics(world, {"query": "instrumental piece"})
    assert quiet.startswith("🎼 ") and "is instrumental" in quiet
    missing = await refused_privately(world, {"query": "nothing like it"})
    assert missing == "⚠️ No lyrics found for “nothing like it”."
    busy = await refused_privately(world, {"query": "busy song"})
    assert busy == "⚠️ LRCLIB is busy; please try again in 30 s."
    assert_quiet(gateway.log())


async def test_bad_input_is_refused_and_changes_nothing(
    world: World, gateway: GatewayProcess, redis: Redis, keys: Keys
) -> None:
    ephemeral, idle = await lyrics(world)
    assert ephemeral and "Nothing is playing right now" in idle
    before = await guild_state(redis, keys, world.guild.id)
    cases = {
        "   ": "Tell me which song",
        "bell\x07song": "not allowed",
        "over\u202eride": "not allowed",
        "x" * 201: "`query`",
    }
    for query, words in cases.items():
        ephemeral, text = await lyrics(world, {"query": query})
        assert ephemeral and text.startswith("⚠️ ") and words in text, (query, text)
    ephemeral, text = await lyrics(world, {"page": 0})
    assert ephemeral and "`page`" in text
    after = await guild_state(redis, keys, world.guild.id)
    assert changed(before, after) <= {keys.rate(world.guild.id, world.carol.user.id)}
    assert not [key async for key in redis.scan_iter(match="arq:job:lyrics:*")], "no lookup was started"
    assert_quiet(gateway.log())


def item_titled(title: str) -> QueueItem:
    item = make_item(1)
    return item.model_copy(update={"track": item.track.model_copy(update={"title": title})})


async def paused_at(stores: Stores, world: World, item: QueueItem, position_ms: int) -> None:
    state = PlayerState(now_playing=item, position_ms=position_ms, paused=True, updated_at_ms=now_ms())
    await store_state(stores, state, world.guild.id)


async def shows(handle: InteractionHandle, text: str, timeout_s: float = 10.0) -> str:
    def probe() -> str | None:
        original = handle.interaction.original
        shown = text_of(original) if original is not None else ""
        return shown if text in shown else None

    return await wait_until(probe, timeout_s, f"the live reply to show {text!r}")


async def test_live_lyrics_follow_the_player(world: World, gateway: GatewayProcess, stores: Stores) -> None:
    item = item_titled("karaoke song")
    await paused_at(stores, world, item, 5500)
    handle = await invoke(world, "lyrics", world.carol, {"live": True})
    first = await shows(handle, "▶ line 5 of karaoke song")
    assert "line 4 of karaoke song" in first and "line 6 of karaoke song" in first and "⏸ Paused · 0:05" in first
    await paused_at(stores, world, item, 42_300)
    assert "line 43 of" in await shows(handle, "▶ line 42 of karaoke song")
    await store_state(stores, PlayerState(now_playing=item_titled("another song")), world.guild.id)
    await shows(handle, "Live lyrics ended: the track changed.")
    assert_quiet(gateway.log())


async def test_live_lyrics_refusals(world: World, gateway: GatewayProcess, stores: Stores) -> None:
    ephemeral, idle = await lyrics(world, {"live": True})
    assert ephemeral and "live lyrics follow the track playing" in idle
    await paused_at(stores, world, item_titled("unsynced song"), 1000)
    both: list[dict[str, object]] = [{"live": True, "query": "some song"}, {"live": True, "page": 2}]
    for options in both:
        ephemeral, text = await lyrics(world, options)
        assert ephemeral and "leave `query` and `page` out" in text, text
    assert "without timings" in await refused_privately(world, {"live": True})
    await paused_at(stores, world, item_titled("nothing sung"), 1000)
    assert "No lyrics found for **nothing sung**" in await refused_privately(world, {"live": True})
    assert "No lyrics found for **nothing sung**" in await refused_privately(world, {"live": False})
