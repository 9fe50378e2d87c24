"""End to end: payloads Discord would never send (or a hostile proxy could) reach the real gateway through the fake.

Every bad option value, unknown option or subcommand, missing required option and malformed custom id gets a clear
ephemeral error naming the problem, within Discord's 3 s, with a warning at most in the log (no traceback) and no
change to the guild's Redis state. Refusals that come after a public defer reach only the member who asked.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Final

import pytest
from redis.asyncio import Redis

from gateway.stores.clients import Stores
from localdiscord.fake_discord import FakeDiscord
from localdiscord.world.interactions import MESSAGE_COMPONENT, InteractionHandle
from shared.keys import Keys
from shared.models import PlayerState
from tests.factories import make_item
from tests.gateway.doubles import store_state
from tests.gateway.e2e import (
    DISCORD_ACK_S,
    DISCORD_CONTENT,
    GatewayProcess,
    World,
    answer,
    assert_quiet,
    build_world,
    changed,
    guild_state,
    invoke,
    invoke_raw,
    private_refusal,
    raw_command,
    running_gateway,
    text_of,
)

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("resolver")]
PICK: Final = "encore:pick:" + "ab" * 16


def opt(name: str, kind: int, value: object) -> dict[str, Any]:
    return {"name": name, "type": kind, "value": value}


BAD_OPTIONS: Final[list[tuple[str, object, str]]] = [
    ("volume", [opt("level", 3, "abc")], "`level` must be a whole number from 0 to 200"),
    ("volume", [opt("level", 4, None)], "`level` must be a whole number from 0 to 200"),
    ("volume", [opt("level", 4, [50])], "`level` must be a whole number from 0 to 200"),
    ("volume", [opt("level", 4, {"v": 50})], "`level` must be a whole number from 0 to 200"),
    ("volume", [opt("level", 4, 1.5)], "`level` must be a whole number from 0 to 200"),
    ("volume", [opt("level", 10, 150.0)], "`level` must be a whole number from 0 to 200"),
    ("volume", [opt("level", 4, True)], "`level` must be a whole number from 0 to 200"),
    ("volume", [], "`level` is required"),
    ("volume", None, "`level` is required"),
    ("skip", [opt("count", 4, "abc")], "`count` must be a whole number from 1 to 1000"),
    ("skip", [opt("count", 3, "2")], "`count` must be a whole number from 1 to 1000"),
    ("queue", [opt("page", 4, 2**63)], "`page` must be a whole number from 1 to"),
    ("queue", [opt("page", 4, 2**64 - 1)], "`page` must be a whole number from 1 to"),
    ("queue", [opt("page", 4, 1e30)], "`page` must be a whole number from 1 to"),  # 100 bits, as orjson reads it
    ("play", [opt("query", 4, 123)], "`query` must be text of at most 500 characters"),
    ("play", [opt("query", 3, None)], "`query` must be text"),
    ("play", [opt("query", 3, "x" * 501)], "`query` must be text of at most 500 characters"),
    ("play", [opt("query", 3, "song"), opt("when", 3, "later")], "`when` must be one of: end, next, now"),
    ("seek", [opt("position", 3, "9" * 3000)], "`position` must be text of at most 20 characters"),
    ("seek", [opt("position", 4, 83)], "`position` must be text"),
    ("seek", [opt("position", 3, "\u0663")], "is not a time I understand"),
    ("seek", [opt("position", 3, "1:2\u0663")], "is not a time I understand"),
    ("pause", [opt("now", 5, True)], "an option it does not have"),
    ("volume", [opt("level", 4, 50), opt("level", 4, 60)], "an option it does not have"),
    ("filter", [], "Pick one of: `set`, `clear`, `list`"),
    ("filter", [{"name": "bogus", "type": 1, "options": []}], "That subcommand does not exist"),
    ("filter", [{"name": "set", "type": 1, "options": []}], "`filters` is required"),
    ("filter", [{"name": "set", "type": 1, "options": [opt("filters", 3, ["nightcore"])]}], "`filters` must be"),
    ("settings", [{"name": "set", "type": 1, "options": [opt("dj_role", 8, "role")]}], "`dj_role` must be a role"),
    ("settings", [{"name": "set", "type": 1, "options": [opt("dj_role", 8, "12345")]}], "`dj_role` must be a role"),
    ("settings", [{"name": "set", "type": 1, "options": [opt("24_7", 5, 1)]}], "`24_7` must be true or false"),
    ("settings", [{"name": "set", "type": 1, "options": [opt("voice_status", 5, "off")]}], "must be true or false"),
    ("settings", [{"name": "set", "type": 1, "options": [opt("voice_status", 3, "no")]}], "must be true or false"),
    ("settings", [{"name": "set", "type": 1, "options": [opt("idle_timeout", 3, "5" * 3000)]}], "at most 20"),
    ("settings", [{"name": "set", "type": 1, "options": [opt("user_share", 4, 1000)]}], "from 1 to 100."),
    ("settings", [{"name": "reset", "type": 1, "options": [opt("setting", 3, "everything")]}], "must be one of"),
    ("settings", [{"name": "show", "type": 1, "options": [opt("x", 3, "y")]}], "an option it does not have"),
    ("volume", "level=50", "options of this command are malformed"),
    ("eq", [{"name": "preset", "type": 1, "options": [opt("name", 3, "metal")]}], "`name` must be one of: flat,"),
    ("eq", [{"name": "band", "type": 1, "options": [opt("band", 4, 50), opt("gain", 10, 3)]}], "`band` must be one"),
    ("eq", [{"name": "band", "type": 1, "options": [opt("band", 4, 63), opt("gain", 10, 13)]}], "from -12 to 12."),
    ("eq", [{"name": "band", "type": 1, "options": [opt("band", 4, 63), opt("gain", 10, "NaN")]}], "from -12 to 12."),
    ("eq", [{"name": "band", "type": 1, "options": [opt("band", 4, 63)]}], "`gain` is required"),
    ("eq", [{"name": "reset", "type": 1, "options": [opt("all", 5, True)]}], "an option it does not have"),
]


@pytest.fixture
async def world(fake_discord: FakeDiscord) -> World:
    return await build_world(fake_discord)


@pytest.fixture
async def gateway(world: World, redis_url: str, redis: Redis, tmp_path: Path) -> AsyncIterator[GatewayProcess]:
    async with running_gateway(world, redis_url, tmp_path / "gateway.log", "DEBUG") as process:
        yield process


async def refusal_problem(handle: InteractionHandle, expected: str) -> str | None:
    """What is wrong with the answer, if it is not an immediate ephemeral error (callback type 4) containing
    `expected`, short enough for Discord and no apology."""
    try:
        callback = await handle.response(5.0)
        reply = await handle.reply(5.0)
    except TimeoutError as exc:
        return f"no answer ({exc})"
    text = text_of(reply)
    if callback.delay >= DISCORD_ACK_S or callback.type != 4 or not reply.ephemeral:
        return f"not an immediate ephemeral answer (type {callback.type}, {callback.delay:.2f} s): {text[:120]}"
    if not text.startswith("⚠️ ") or expected not in text or len(reply.content) > DISCORD_CONTENT:
        return f"{len(reply.content)} characters: {text[:120]}"
    return None


async def test_bad_options_are_refused_at_the_edge_and_change_nothing(
    world: World, gateway: GatewayProcess, stores: Stores, redis: Redis, keys: Keys
) -> None:
    await store_state(stores, PlayerState(now_playing=make_item(1), voice_channel_id=world.voice.id), world.guild.id)
    before = await guild_state(redis, keys, world.guild.id)
    problems = []
    for name, options, expected in BAD_OPTIONS:
        handle = await invoke_raw(world, world.admin, raw_command(world, name, options))
        if (problem := await refusal_problem(handle, expected)) is not None:
            problems.append(f"/{name} {options!r:.80}: {problem}")
    assert problems == [], "\n".join(problems)
    assert changed(before, await guild_state(redis, keys, world.guild.id)) == set()
    assert_quiet(gateway.log())


async def test_unknown_commands_and_malformed_payloads_are_answered(
    world: World, gateway: GatewayProcess, redis: Redis, keys: Keys
) -> None:
    before = await guild_state(redis, keys, world.guild.id)
    cases: list[tuple[str, dict[str, Any]]] = [
        ("unknown name", raw_command(world, "nosuch") | {"id": "1"}),
        ("a known id under another name", raw_command(world, "volume") | {"name": "nosuch"}),
        ("non-numeric id", raw_command(world, "pause") | {"id": "abc"}),
        ("user command type", raw_command(world, "pause") | {"type": 2}),
    ]
    problems = []
    for label, data in cases:
        problem = await refusal_problem(await invoke_raw(world, world.alice, data), "I don't know that command")
        if problem is not None:
            problems.append(f"{label}: {problem}")
    assert problems == [], "\n".join(problems)
    assert changed(before, await guild_state(redis, keys, world.guild.id)) == set()
    assert_quiet(gateway.log())


async def test_malformed_custom_ids_get_an_ephemeral_answer(
    world: World, gateway: GatewayProcess, redis: Redis, keys: Keys
) -> None:
    fake = world.fake.core.world
    message = fake.add_message(world.text.id, fake.bot, {"content": "a message with buttons"})
    before = await guild_state(redis, keys, world.guild.id)
    bad_ids: list[object] = [
        "encore:np:bogus",
        "encore:np:skip\n",
        f"{PICK}:\u0663",
        f"{PICK}:3\n",
        f"{PICK}:12",
        "encore:pick:zz:1",
        "somebody-else:1",
        "",
        "x" * 5000,
        5,
        None,
        ["encore:np:skip"],
    ]
    problems = []
    for custom_id in bad_ids:
        data = {"custom_id": custom_id, "component_type": 2}
        handle = await invoke_raw(world, world.alice, data, kind=MESSAGE_COMPONENT, message=message)
        if (problem := await refusal_problem(handle, "no longer available")) is not None:
            problems.append(f"custom id {custom_id!r:.60}: {problem}")
        if not gateway.service or not gateway.service.running:
            problems.append(f"custom id {custom_id!r:.60}: the gateway exited")
            break
    assert problems == [], "\n".join(problems)
    assert changed(before, await guild_state(redis, keys, world.guild.id)) == set()
    assert_quiet(gateway.log())


async def test_refusals_after_the_public_defer_reach_only_the_member(
    world: World, gateway: GatewayProcess, stores: Stores
) -> None:
    handle = await invoke(world, "play", world.alice, {"query": "nothing at all"})
    assert text_of(await private_refusal(world, handle)).startswith("🔍 No results for")
    handle = await invoke(world, "play", world.alice, {"query": "refused link"})
    assert "points to a private address" in text_of(await private_refusal(world, handle))
    await stores.settings.update(world.guild.id, max_queue_length=1)
    _, first = await answer(world, "play", world.alice, {"query": "first song"})
    assert not first.ephemeral, text_of(first)
    handle = await invoke(world, "play", world.alice, {"query": "second song"})
    assert "full" in text_of(await private_refusal(world, handle))
    messages = world.fake.core.world.messages.values()
    public = [text_of(m) for m in messages if m.channel_id == world.text.id and not (m.deleted or m.ephemeral)]
    assert public == [text_of(first)], "only the success is in the channel"
