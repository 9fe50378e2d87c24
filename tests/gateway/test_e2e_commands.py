"""End to end: the real gateway process (`python -m gateway`) against the fake Discord and a real Redis.

The resolver is a stand-in arq job run by a real arq Worker in the test process (a fake of the worker, see
`tests/gateway/doubles.py`); the player side is played by the test itself, which writes player state and publishes
events the way the worker's owner does. Every reply's acknowledgement delay (measured by the fake) is checked to be
well inside Discord's 3 s.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest
from redis.asyncio import Redis

from gateway.stores.clients import Stores
from localdiscord.fake_discord import FakeDiscord
from localdiscord.world.models import Member, Message
from shared import codec
from shared.command_store import CommandStore
from shared.commands import (
    Command,
    FiltersCommand,
    JoinCommand,
    LeaveCommand,
    ListenersCommand,
    LoopCommand,
    PauseCommand,
    PlayNowCommand,
    PreviousCommand,
    QueueChangedCommand,
    ResumeCommand,
    SeekCommand,
    SkipCommand,
    StopCommand,
    VoiceUpdateCommand,
    VolumeCommand,
)
from shared.event_store import EventStore
from shared.events import (
    LeaveReason,
    PlayerLeft,
    PlayerUpdated,
    PlaylistProgress,
    QueueFinished,
    SubstitutionReason,
    TrackFailed,
    TrackStarted,
    TrackSubstituted,
)
from shared.failures import Problem, ProblemKind
from shared.keys import Keys
from shared.models import FilterChain, FilterPreset, GuildSettings, LoopMode, PlayerState
from shared.queue_store import QueueLimits
from tests.factories import make_item
from tests.gateway.doubles import store_state
from tests.gateway.e2e import (
    GatewayProcess,
    World,
    answer,
    bot_joins,
    build_world,
    custom_ids,
    invoke,
    private_refusal,
    text_of,
)

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("resolver")]
ACK_LIMIT_S = 1.5
"""Discord allows 3 s; an unloaded gateway should answer in a small fraction of that."""


@pytest.fixture
async def world(fake_discord: FakeDiscord) -> World:
    return await build_world(fake_discord)


@pytest.fixture
def gateway_env() -> dict[str, str]:
    """Scenario tests issue many commands per member; the rate limit has its own test."""
    return {"ENCORE_GATEWAY__RATE_LIMIT_COMMANDS": "1000", "ENCORE_LOG_LEVEL": "DEBUG"}


@pytest.fixture
async def gateway(
    world: World, redis_url: str, redis: Redis, tmp_path: Path, gateway_env: dict[str, str]
) -> AsyncIterator[GatewayProcess]:
    process = GatewayProcess(world.fake, redis_url, tmp_path / "gateway.log", gateway_env)
    try:
        yield await process.start()
    finally:
        await process.close()


async def sent(redis: Redis, keys: Keys, world: World) -> list[Command | None]:
    """The guild's commands, without the voice updates and listener counts the gateway forwards around voice."""
    entries = await CommandStore(redis, keys).read_after(world.guild.id, "0-0")
    forwarded = (VoiceUpdateCommand, ListenersCommand)
    return [entry.command for entry in entries if not isinstance(entry.command, forwarded)]


async def ok(world: World, name: str, member: Member, options: Mapping[str, object] | None = None, **kw: str) -> str:
    """A command that must succeed publicly and be acknowledged quickly; returns the reply text."""
    callback, reply = await answer(world, name, member, options, subcommand=kw.get("subcommand"))
    assert callback.delay < ACK_LIMIT_S, f"/{name} acknowledged after {callback.delay:.2f} s"
    assert not reply.ephemeral, f"/{name} failed: {text_of(reply)}"
    return text_of(reply)


async def refused(
    world: World, name: str, member: Member, options: Mapping[str, object] | None = None, **kw: str
) -> str:
    """A command that must be refused with an ephemeral error; returns its text."""
    callback, reply = await answer(world, name, member, options, subcommand=kw.get("subcommand"))
    assert callback.delay < ACK_LIMIT_S
    assert reply.ephemeral, f"/{name} was not refused: {text_of(reply)}"
    assert text_of(reply).startswith("⚠️ ")
    return text_of(reply)


async def playing(world: World, stores: Stores, **changes: object) -> PlayerState:
    """Act as the owner: the bot is in the first voice channel and something plays."""
    await bot_joins(world, stores, world.voice.id)
    state = PlayerState(now_playing=make_item(1), voice_channel_id=world.voice.id).model_copy(update=changes)
    await store_state(stores, state, world.guild.id)
    return state


async def test_play_summons_and_queues(world: World, gateway: GatewayProcess, redis: Redis, keys: Keys) -> None:
    callback, reply = await answer(world, "play", world.alice, {"query": "never gonna give you up"})
    assert callback.type == 5 and callback.delay < ACK_LIMIT_S
    assert text_of(reply).startswith("🎶 Queued [never gonna give you up]")
    commands = await sent(redis, keys, world)
    assert [type(command) for command in commands] == [JoinCommand, QueueChangedCommand]
    join = commands[0]
    assert isinstance(join, JoinCommand)
    assert (join.voice_channel_id, join.issued_by, join.text_channel_id) == (
        world.voice.id,
        world.alice.user.id,
        world.text.id,
    )
    assert await ok(world, "play", world.bob, {"query": "second", "when": "now"})
    assert isinstance((await sent(redis, keys, world))[-1], PlayNowCommand)
    queue = await ok(world, "queue", world.carol)
    assert "`1.` [second]" in queue and "`1.` [never gonna" not in queue


async def test_play_and_search_bad_input_and_denials(
    world: World, gateway: GatewayProcess, redis: Redis, keys: Keys
) -> None:
    assert "Join a voice channel first" in await refused(world, "play", world.carol, {"query": "song"})
    assert "Tell me what to play" in await refused(world, "play", world.alice, {"query": "   "})
    assert "`when` must be one of" in await refused(world, "play", world.alice, {"query": "x", "when": "later"})
    assert "Join a voice channel first" in await refused(world, "search", world.carol, {"query": "lofi"})
    assert await sent(redis, keys, world) == []
    handle = await invoke(world, "play", world.alice, {"query": "nothing here"})
    assert text_of(await private_refusal(world, handle)) == "🔍 No results for “nothing here”."


async def test_control_commands(
    world: World, gateway: GatewayProcess, stores: Stores, redis: Redis, keys: Keys
) -> None:
    assert "Nothing is playing" in await refused(world, "skip", world.alice)
    await stores.settings.update(world.guild.id, vote_skip_percent=0)  # vote skip off: /skip skips as ever
    await playing(world, stores)
    await stores.queue.append(world.guild.id, [make_item(2)], limits=QueueLimits(100, 100))
    assert (await ok(world, "skip", world.alice)).startswith("⏭ Skipped [track 1]")
    assert await ok(world, "skip", world.alice, {"count": 2}) == "⏭ Skipping 2 tracks."
    assert await ok(world, "pause", world.alice) == "⏸ Paused."
    await playing(world, stores, paused=True)
    assert await ok(world, "resume", world.alice) == "▶ Resumed."
    assert await ok(world, "seek", world.alice, {"position": "0:03"}) == "⏩ Seeking to 0:03."
    assert await ok(world, "seek", world.alice, {"position": "-10"}) == "⏩ Seeking back 0:10."
    assert await ok(world, "volume", world.alice, {"level": 150}) == "🔊 Volume set to 150%."
    text = await ok(world, "filter", world.alice, {"filters": "nightcore, bassboost=12"}, subcommand="set")
    assert text == "🎛 Filters: nightcore, bassboost=12."
    assert await ok(world, "filter", world.alice, subcommand="clear") == "🎛 Filters cleared."
    assert await ok(world, "loop", world.alice, {"mode": "queue"}) == "🔁 Looping the queue."
    assert "nothing to go back to" in await refused(world, "previous", world.alice)
    lease = await stores.leases.holder(world.guild.id)
    assert lease is not None
    await stores.players.advance(world.guild.id, lease.fence, await playing(world, stores))
    assert (await ok(world, "previous", world.alice)).startswith("⏮ Back to [track 1]")
    assert await ok(world, "stop", world.alice) == "⏹ Stopped and cleared the queue."
    assert await ok(world, "leave", world.alice) == "👋 Leaving the voice channel (the queue is kept)."
    kinds = [type(command) for command in await sent(redis, keys, world)]
    assert kinds == [
        SkipCommand,
        SkipCommand,
        PauseCommand,
        ResumeCommand,
        SeekCommand,
        SeekCommand,
        VolumeCommand,
        FiltersCommand,
        FiltersCommand,
        LoopCommand,
        PreviousCommand,
        StopCommand,
        LeaveCommand,
    ]
    commands = await sent(redis, keys, world)
    filters = commands[7]
    assert isinstance(filters, FiltersCommand)
    assert filters.filters == FilterChain(presets=(FilterPreset.NIGHTCORE, FilterPreset.BASSBOOST), bass_gain_db=12)
    assert all(command is not None and command.issued_by == world.alice.user.id for command in commands)


async def test_bad_control_input_stores_nothing(
    world: World, gateway: GatewayProcess, stores: Stores, redis: Redis, keys: Keys
) -> None:
    await playing(world, stores)
    assert "not a time I understand" in await refused(world, "seek", world.alice, {"position": "soon"})
    assert "past the end" in await refused(world, "seek", world.alice, {"position": "9:00"})
    assert "`level` must be a whole number from 0 to 200" in await refused(world, "volume", world.alice, {"level": 300})
    assert "not a filter" in await refused(world, "filter", world.alice, {"filters": "chipmunk"}, subcommand="set")
    assert "`count` must be a whole number from 1 to 1000" in await refused(world, "skip", world.alice, {"count": 0})
    assert "must be one of" in await refused(world, "loop", world.alice, {"mode": "sometimes"})
    assert "`position` must be a whole number from 1 to" in await refused(world, "remove", world.alice, {"position": 0})
    assert "Already paused" not in await refused(world, "resume", world.alice)
    preset = await refused(world, "eq", world.alice, {"name": "metal"}, subcommand="preset")
    assert "`name` must be one of: flat, bass" in preset
    for band, gain, problem in ((50, 3.0, "`band` must be one of: 25, 40"), (63, 12.5, "`gain` must be a number")):
        assert problem in await refused(world, "eq", world.alice, {"band": band, "gain": gain}, subcommand="band")
    assert await sent(redis, keys, world) == []
    stored = await stores.players.load(world.guild.id)
    assert stored is not None and stored.equalizer.is_flat


async def test_permissions_and_dj_role(
    world: World, gateway: GatewayProcess, stores: Stores, redis: Redis, keys: Keys
) -> None:
    await playing(world, stores)
    await world.fake.join_voice(world.bob, world.other_voice)
    assert f"Join <#{world.voice.id}>" in await refused(world, "skip", world.bob)
    assert f"Join <#{world.voice.id}>" in await refused(world, "pause", world.carol)
    await stores.settings.update(world.guild.id, dj_role_id=world.dj_role.id)
    for name, options, subcommand in (
        ("volume", {"level": 10}, None),
        ("stop", None, None),
        ("clear", None, None),
        ("filter", {"filters": "karaoke"}, "set"),
        ("eq", {"name": "rock"}, "preset"),
        ("eq", {"band": 63, "gain": 3.0}, "band"),
        ("eq", None, "reset"),
        ("move", {"from": 1, "to": 2}, None),
    ):
        handle = await invoke(world, name, world.alice, options, subcommand=subcommand)
        reply = await handle.reply()
        text = text_of(reply)
        assert reply.ephemeral
        assert f"needs the DJ role <@&{world.dj_role.id}>" in text
    assert await sent(redis, keys, world) == []
    assert await ok(world, "volume", world.dave, {"level": 10}) == "🔊 Volume set to 10%."
    assert await ok(world, "stop", world.admin) == "⏹ Stopped and cleared the queue."
    assert "Manage Server or the DJ role" in await refused(
        world, "settings", world.alice, {"default_volume": 50}, subcommand="set"
    )


async def test_queue_commands(world: World, gateway: GatewayProcess, stores: Stores) -> None:
    limits = QueueLimits(100, 100)
    items = [make_item(n, requester_id=world.alice.user.id) for n in range(1, 5)]
    await stores.queue.append(world.guild.id, items, limits=limits)
    await stores.queue.append(world.guild.id, [make_item(5, requester_id=world.bob.user.id)], limits=limits)
    assert "Page 1/1 · 5 queued" in await ok(world, "queue", world.carol)
    assert "only 1 page" in await refused(world, "queue", world.carol, {"page": 3})
    assert (await ok(world, "move", world.alice, {"from": 4, "to": 1})).startswith("↕️ Moved [track 4]")
    assert (await ok(world, "remove", world.alice, {"position": 1})).startswith("🗑 Removed [track 4]")
    assert "no track at position 9" in await refused(world, "remove", world.alice, {"position": 9})
    assert await ok(world, "shuffle", world.alice) == "🔀 Shuffled 4 tracks."
    assert await ok(world, "clear", world.alice) == "🧹 Cleared 4 queued tracks."
    assert "Nothing has been played yet" in await ok(world, "history", world.carol)
    assert await stores.queue.length(world.guild.id) == 0


async def test_settings(world: World, gateway: GatewayProcess, stores: Stores) -> None:
    callback, reply = await answer(world, "settings", world.carol, subcommand="show")
    assert reply.ephemeral and "DJ role: not set (everyone)" in text_of(reply)
    callback, reply = await answer(
        world,
        "settings",
        world.admin,
        {"announce_channel": world.text, "default_volume": 70, "idle_timeout": "10m", "24_7": True},
        subcommand="set",
    )
    assert text_of(reply).startswith("✅ Settings saved.") and callback.delay < ACK_LIMIT_S
    assert await stores.settings.get(world.guild.id) == GuildSettings(
        announce_channel_id=world.text.id, default_volume=70, idle_timeout_s=600, always_on=True
    )
    callback, reply = await answer(world, "settings", world.admin, {"idle_timeout": "1s"}, subcommand="set")
    assert reply.ephemeral and "idle timeout must be between 10 s and 24 h" in text_of(reply)
    callback, reply = await answer(world, "settings", world.admin, {"setting": "all"}, subcommand="reset")
    assert await stores.settings.get(world.guild.id) == GuildSettings()


@pytest.mark.parametrize("gateway_env", [{"ENCORE_GATEWAY__RATE_LIMIT_COMMANDS": "3"}])
async def test_rate_limit(world: World, gateway: GatewayProcess) -> None:
    for _ in range(3):
        await ok(world, "queue", world.alice)
    assert "going a bit fast" in await refused(world, "queue", world.alice)
    await ok(world, "queue", world.bob)


async def wait_for_message(world: World, predicate: object, timeout_s: float = 10.0) -> Message:
    assert callable(predicate)
    return await world.fake.wait_for_message(world.text, predicate, timeout=timeout_s)


async def test_now_playing_message_and_buttons(
    world: World, gateway: GatewayProcess, stores: Stores, redis: Redis, keys: Keys
) -> None:
    state = await playing(world, stores, text_channel_id=world.text.id)
    events = EventStore(redis, keys)
    await events.publish(
        TrackStarted(guild_id=world.guild.id, at_ms=1, text_channel_id=world.text.id, item=state.now_playing)  # type: ignore[arg-type]
    )
    np = await wait_for_message(world, lambda m: bool(m.embeds) and "Now playing" in text_of(m))
    assert custom_ids(np) == [
        "encore:np:toggle",
        "encore:np:skip",
        "encore:np:loop",
        "encore:np:shuffle",
        "encore:np:stop",
    ]
    click = await world.fake.click(np, "encore:np:toggle", member=world.alice)
    callback = await click.response()
    assert callback.type == 4 and callback.ephemeral and callback.delay < ACK_LIMIT_S
    assert callback.data["content"] == "⏸ Paused."
    denied = await (await world.fake.click(np, "encore:np:skip", member=world.carol)).response()
    assert denied.ephemeral and "Join <#" in denied.data["content"]
    await (await world.fake.click(np, "encore:np:loop", member=world.alice)).response()
    kinds = [type(command) for command in await sent(redis, keys, world)]
    assert kinds == [PauseCommand, LoopCommand]
    await store_state(stores, state.model_copy(update={"paused": True, "loop": LoopMode.TRACK}), world.guild.id)
    await events.publish(PlayerUpdated(guild_id=world.guild.id, at_ms=2))
    await wait_for_message(world, lambda m: m.id == np.id and "Paused" in text_of(m))
    assert len([m for m in world.fake.messages(world.text) if m.embeds and m.interaction_id is None]) == 1


async def test_notices(world: World, gateway: GatewayProcess, redis: Redis, keys: Keys) -> None:
    events = EventStore(redis, keys)
    guild, text, item = world.guild.id, world.text.id, make_item(3)
    await events.publish(
        TrackSubstituted(
            guild_id=guild,
            at_ms=1,
            text_channel_id=text,
            item=item,
            broken_url="https://x.test/dead",
            reason=SubstitutionReason.GONE,
        )
    )
    problem = Problem(kind=ProblemKind.HTTP, http_status=403)
    await events.publish(TrackFailed(guild_id=guild, at_ms=2, text_channel_id=text, item=item, problem=problem))
    for queued in (20, 2480):
        await events.publish(
            PlaylistProgress(
                guild_id=guild, at_ms=3, text_channel_id=text, request_id="r", title="Mix", queued=queued, total=5000
            )
        )
    await events.publish(QueueFinished(guild_id=guild, at_ms=4, text_channel_id=text))
    await events.publish(PlayerLeft(guild_id=guild, at_ms=5, text_channel_id=text, reason=LeaveReason.IDLE))
    await wait_for_message(world, lambda m: "Left the voice channel" in text_of(m))
    texts = [text_of(message) for message in world.fake.messages(world.text)]
    assert texts[0].startswith("↪️ Substituted [track 3]") and "broken link <https://x.test/dead>" in texts[0]
    assert texts[1].startswith("❌ Couldn't play [track 3]")
    assert texts[1].endswith(": it can't be played: the site answered with an error (HTTP 403).")
    assert texts[2] == "📜 Queued 2,480 of 5,000 from **Mix**…"
    assert texts[3] == "Queue finished — add more with `/play`."
    assert texts[4] == "Left the voice channel (nothing left to play)."


async def test_events_of_an_older_release_get_generic_words(
    world: World, gateway: GatewayProcess, redis: Redis, keys: Keys
) -> None:
    """Events still in the stream from a release whose workers wrote English text: worded, none dropped."""
    guild, text, item = world.guild.id, world.text.id, make_item(4).model_dump(mode="json")
    base = {"guild_id": guild, "at_ms": 1, "text_channel_id": text}
    gone = "That link can't be played: gone."
    older = [
        base | {"kind": "track_failed", "item": item, "error": gone, "failure": "unavailable"},
        base | {"kind": "playlist_progress", "request_id": "r", "title": "Old", "queued": 3, "total": 9,
                "done": True, "stopped_reason": "the queue is full (3 items)"},
        base | {"kind": "player_left", "reason": "everybody left the voice channel"},
    ]  # fmt: skip
    for payload in older:
        await redis.xadd(keys.events(), {b"e": codec.dumps(payload)})
    await wait_for_message(world, lambda m: "Left the voice channel" in text_of(m))
    texts = [text_of(message) for message in world.fake.messages(world.text)]
    assert texts[0].startswith("❌ Couldn't play [track 4]") and texts[0].endswith(": it could not be loaded.")
    assert texts[1] == "⚠️ Stopped queueing **Old** after 3 of 9: queueing could not go on"
    assert texts[2] == "Left the voice channel."


async def test_search_pick_and_autocomplete(world: World, gateway: GatewayProcess, stores: Stores) -> None:
    handle = await invoke(world, "search", world.alice, {"query": "lofi", "when": "next"})
    callback = await handle.response()
    assert callback.type == 5 and callback.ephemeral and callback.delay < ACK_LIMIT_S
    results = await handle.reply()
    assert results.ephemeral and text_of(results).startswith("Pick one:\n`1.` [lofi result 1]")
    ids = custom_ids(results)
    assert len(ids) == 5 and all(id_.startswith("encore:pick:") for id_ in ids)
    stranger = await (await world.fake.click(results, ids[0], member=world.bob)).response()
    assert stranger.ephemeral and "Only the member who searched" in stranger.data["content"]
    pick = await world.fake.click(results, ids[2], member=world.alice)
    assert (await pick.response()).type == 6
    picked = await world.fake.wait_for_message(world.text, lambda m: m.id == results.id and "Up next" in m.content)
    assert picked.components == []
    assert await stores.queue.length(world.guild.id) == 1
    completion = await world.fake.interactions.autocomplete(
        "play", member=world.alice, channel=world.text, focused="query", options={"query": "lofi"}
    )
    choices = await completion.choices()
    assert [choice["name"] for choice in choices][:3] == ["lofi", "lofi result 1", "lofi result 2"]
    assert choices[1]["value"].startswith("http://127.0.0.1:9/media/")


async def test_commands_stay_fast_while_events_flood(
    world: World, gateway: GatewayProcess, redis: Redis, keys: Keys
) -> None:
    """A 5,000-entry playlist being ingested: progress events and queue writes do not slow acknowledgements."""
    events = EventStore(redis, keys)

    async def flood() -> None:
        for queued in range(0, 5001, 50):
            await events.publish(
                PlaylistProgress(
                    guild_id=world.guild.id,
                    at_ms=1,
                    text_channel_id=world.text.id,
                    request_id="big",
                    title="Big",
                    queued=queued,
                    total=5000,
                    done=queued == 5000,
                )
            )
            await asyncio.sleep(0.005)

    flooding = asyncio.create_task(flood())
    delays = []
    while not flooding.done():
        callback, _ = await answer(world, "queue", world.alice)
        delays.append(callback.delay)
    await flooding
    assert max(delays) < ACK_LIMIT_S


async def test_autocomplete_for_a_500_character_query_fits_discords_limits(
    world: World, gateway: GatewayProcess, stores: Stores
) -> None:
    """The fake refuses choices over 100 characters as Discord does; the long query comes back under a short key."""
    typed = "lofi " + "x" * 495
    completion = await world.fake.interactions.autocomplete(
        "play", member=world.alice, channel=world.text, focused="query", options={"query": typed}
    )
    choices = await completion.choices()
    assert choices, "the autocomplete answer was refused"
    assert all(len(choice["name"]) <= 100 and len(choice["value"]) <= 100 for choice in choices)
    assert choices[0]["name"] == typed[:99] + "…"
    assert await stores.recent.expand(world.guild.id, world.alice.user.id, choices[0]["value"]) == typed


async def test_a_queue_page_of_huge_links_is_cut_to_fit(world: World, gateway: GatewayProcess, stores: Stores) -> None:
    items = [make_item(n) for n in range(1, 11)]
    long = [
        item.model_copy(update={"track": item.track.model_copy(update={"url": item.track.url + "?" + "q" * 2000})})
        for item in items
    ]
    await stores.queue.append(world.guild.id, long, limits=QueueLimits(100, 100))
    _, reply = await answer(world, "queue", world.carol)
    description = reply.embeds[0]["description"]
    assert len(description) <= 4096 and description.endswith("\n…")
    assert reply.embeds[0]["footer"]["text"] == "Page 1/1 · 10 queued"


async def test_a_huge_seek_is_refused_briefly_naming_the_option(
    world: World, gateway: GatewayProcess, stores: Stores
) -> None:
    await playing(world, stores)
    text = await refused(world, "seek", world.alice, {"position": "-" + "9" * 3000})
    assert text.startswith("⚠️ ") and "`position`" in text and len(text) < 200
