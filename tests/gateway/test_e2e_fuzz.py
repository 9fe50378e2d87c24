"""Fuzzing the real gateway through the fake Discord: random payloads for every command the bot registered.

Properties, for every payload: an answer within Discord's 3 s; either a success or an ephemeral error (never a
public one, never an apology); no traceback or error in the gateway's log; and on an error the guild's Redis state
is unchanged, except the member's rate-limit counter (the gate counts every command that reaches it, by design)
and, for `/play` and search picks refused by the resolver after the bot was summoned, the summon itself.

The example count is bounded in the default suite (see `fuzz_settings`); `HYPOTHESIS_PROFILE=soak` runs longer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from redis.asyncio import Redis

from gateway.stores.clients import Stores
from localdiscord.fake_discord import FakeDiscord
from localdiscord.waiting import wait_until
from localdiscord.world.interactions import AUTOCOMPLETE, MESSAGE_COMPONENT, InteractionHandle
from localdiscord.world.models import LOADING, Member, Message
from shared.keys import Keys
from shared.models import PlayerState
from shared.queue_store import QueueLimits
from tests.factories import make_item
from tests.gateway.conftest import fuzz_settings, fuzz_timeout_s
from tests.gateway.doubles import store_state
from tests.gateway.e2e import (
    DISCORD_ACK_S,
    DISCORD_CONTENT,
    GatewayProcess,
    World,
    assert_quiet,
    build_world,
    changed,
    guild_state,
    invoke_raw,
    raw_command,
    redis_stores,
    registered,
    running_gateway,
    text_of,
)
from tests.gateway.fuzzing import Ids, command_options, custom_ids, short_text, texts

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("resolver")]
COMMAND_EXAMPLES: Final = 120
COMPONENT_EXAMPLES: Final = 30
AUTOCOMPLETE_EXAMPLES: Final = 20
ERROR_MARKS: Final = ("⚠️", "🔍", "🚫", "❌")
"""How refusals start: edge and handler errors, and the resolver's nothing found / refused / failed."""


@dataclass(frozen=True, slots=True)
class Outcome:
    error: bool
    text: str
    summoned: bool
    """Answered after a public defer (the bot may have been summoned before the refusal)."""


@pytest.fixture
async def world(fake_discord: FakeDiscord) -> World:
    return await build_world(fake_discord)


@pytest.fixture
async def gateway(world: World, redis_url: str, redis: Redis, tmp_path: Path) -> AsyncIterator[GatewayProcess]:
    async with running_gateway(world, redis_url, tmp_path / "gateway.log", "INFO") as process:
        yield process


@pytest.fixture
async def stores(world: World, redis: Redis, keys: Keys) -> Stores:
    """Something plays and two tracks are queued, so control commands have something to act on."""
    stores = redis_stores(redis, keys)
    await store_state(stores, PlayerState(now_playing=make_item(1), voice_channel_id=world.voice.id), world.guild.id)
    await stores.queue.append(world.guild.id, [make_item(2), make_item(3)], limits=QueueLimits(100, 100))
    return stores


def ids_of(world: World) -> Ids:
    roles = [str(role.id) for role in (world.dj_role, world.admin_role)] + ["1", "18446744073709551615"]
    channels = [str(world.text.id), str(world.voice.id), "2"]
    users = [str(member.user.id) for member in (world.alice, world.carol)]
    return Ids(roles, channels, users)


def members(world: World) -> st.SearchStrategy[Member]:
    """alice and dave are in the voice channel (dave is a DJ), carol is in none, admin may manage the server."""
    return st.sampled_from([world.alice, world.dave, world.carol, world.admin])


def _loaded(handle: InteractionHandle) -> Message | None:
    message = handle.interaction.original
    if handle.interaction.followups:
        return handle.interaction.followups[0]
    if message is None or message.flags & LOADING:
        return None
    return message


async def settle(handle: InteractionHandle) -> Outcome:
    """Wait for the interaction's visible answer and check the shape every answer must have."""
    callback = await handle.response(5.0)
    assert callback.delay < DISCORD_ACK_S, f"acknowledged after {callback.delay:.2f} s"
    if callback.type == 8:
        assert len(callback.data.get("choices", [])) <= 25
        return Outcome(error=False, text="", summoned=False)
    assert callback.type in (4, 5), callback
    message = await wait_until(lambda: _loaded(handle), 15.0, "the answer")
    text = text_of(message)
    assert len(message.content) <= DISCORD_CONTENT, f"{len(message.content)} characters"
    assert "Something went wrong" not in text, text
    error = text.startswith(ERROR_MARKS)
    if error:
        assert message.ephemeral, f"a public refusal: {text[:200]}"
    if handle.interaction.followups:
        original = handle.interaction.original
        assert original is not None and original.deleted, "a refusal left the public placeholder"
    public_defer = callback.type == 5 and not callback.ephemeral
    return Outcome(error=error, text=text, summoned=public_defer)


class Checker:
    """One interaction at a time: state before, the answer, state and log after."""

    def __init__(self, world: World, gateway: GatewayProcess, redis: Redis, keys: Keys) -> None:
        self.world, self.gateway, self.redis, self.keys = world, gateway, redis, keys
        self.seen = 0

    async def check(self, member: Member, data: dict[str, Any], kind: int = 2, message: Message | None = None) -> None:
        guild = self.world.guild.id
        before = await guild_state(self.redis, self.keys, guild)
        offset = len(self.gateway.log())
        outcome = await settle(await invoke_raw(self.world, member, data, kind=kind, message=message))
        what = data.get("name") if kind == 2 else {MESSAGE_COMPONENT: "component", AUTOCOMPLETE: "autocomplete"}[kind]
        event(f"{what}: {'refused' if outcome.error else 'answered'}")
        if outcome.error:
            allowed = {self.keys.rate(guild, member.user.id)}
            if outcome.summoned:
                allowed |= {self.keys.commands(guild), self.keys.active_guilds()}
            unexpected = changed(before, await guild_state(self.redis, self.keys, guild)) - allowed
            assert unexpected == set(), f"{outcome.text[:200]!r} changed {unexpected}"
        assert_quiet(self.gateway.log()[offset:])
        assert self.gateway.service is not None and self.gateway.service.running
        self.seen += 1


@pytest.mark.timeout(fuzz_timeout_s(COMMAND_EXAMPLES))
@fuzz_settings(COMMAND_EXAMPLES)
@given(data=st.data())
async def test_fuzzed_commands(
    world: World, gateway: GatewayProcess, stores: Stores, redis: Redis, keys: Keys, data: st.DataObject
) -> None:
    declarations = registered(world)
    assert len(declarations) >= 20, [d["name"] for d in declarations]
    declaration = data.draw(st.sampled_from(declarations), label="command")
    options = data.draw(command_options(declaration, ids_of(world)), label="options")
    member = data.draw(members(world), label="member")
    body = raw_command(world, str(declaration["name"]), options)
    if data.draw(st.integers(0, 19), label="drop options") == 0:
        del body["options"]
    await Checker(world, gateway, redis, keys).check(member, body)


@pytest.mark.timeout(fuzz_timeout_s(COMPONENT_EXAMPLES))
@fuzz_settings(COMPONENT_EXAMPLES)
@given(data=st.data())
async def test_fuzzed_component_clicks(
    world: World, gateway: GatewayProcess, stores: Stores, redis: Redis, keys: Keys, data: st.DataObject
) -> None:
    searches = [key.split(":")[-1] async for key in redis.scan_iter(match=f"*{{{world.guild.id}}}:search:*")]
    bot = world.fake.core.world
    message = bot.add_message(world.text.id, bot.bot, {"content": "buttons"})
    custom_id = data.draw(custom_ids([s.decode() if isinstance(s, bytes) else s for s in searches]), label="id")
    component_type = data.draw(st.sampled_from([2, 2, 2, 3, 0]), label="component type")
    member = data.draw(members(world), label="member")
    body = {"custom_id": custom_id, "component_type": component_type}
    await Checker(world, gateway, redis, keys).check(member, body, MESSAGE_COMPONENT, message)


@pytest.mark.timeout(fuzz_timeout_s(AUTOCOMPLETE_EXAMPLES))
@fuzz_settings(AUTOCOMPLETE_EXAMPLES)
@given(
    typed=st.one_of(texts, st.integers(-(2**63), 2**63 - 1), st.none()),  # what JSON from Discord can carry
    when=st.one_of(st.none(), short_text),
    member_index=st.integers(0, 3),
)
async def test_fuzzed_autocomplete(
    world: World, gateway: GatewayProcess, redis: Redis, keys: Keys, typed: object, when: str | None, member_index: int
) -> None:
    options: list[dict[str, Any]] = [{"name": "query", "type": 3, "value": typed, "focused": True}]
    if when is not None:
        options.append({"name": "when", "type": 3, "value": when})
    member = [world.alice, world.dave, world.carol, world.admin][member_index]
    await Checker(world, gateway, redis, keys).check(member, raw_command(world, "play", options), AUTOCOMPLETE)
