"""Playback control commands: the right command lands on the guild's stream, bad input and denials store nothing."""

from __future__ import annotations

import pytest

from gateway.commands.control import ControlActions
from gateway.commands.play import PlayActions
from gateway.commands.queue import QueueActions
from gateway.discord.components import ComponentRouter
from gateway.stores.clients import Stores
from gateway.wording.custom_ids import PlayerButton
from shared.commands import (
    Command,
    FiltersCommand,
    LeaveCommand,
    LoopCommand,
    PauseCommand,
    PreviousCommand,
    ResumeCommand,
    SeekCommand,
    SkipCommand,
    StopCommand,
    VolumeCommand,
)
from shared.errors import InvalidInputError, PermissionDeniedError
from shared.models import FilterChain, FilterPreset, LoopMode, PlayerState, Track
from shared.queue_store import QueueLimits
from tests.factories import make_item
from tests.gateway.doubles import GUILD, OTHER_VOICE, VOICE, invocation, store_state

DJ = 4242


async def sent(stores: Stores) -> list[Command | None]:
    return [entry.command for entry in await stores.commands.read_after(GUILD, "0-0")]


async def playing(stores: Stores, **changes: object) -> PlayerState:
    state = PlayerState(now_playing=make_item(1), voice_channel_id=VOICE).model_copy(update=changes)
    await store_state(stores, state)
    return state


async def test_skip_with_vote_skip_off(stores: Stores, control: ControlActions) -> None:
    await stores.settings.update(GUILD, vote_skip_percent=0)
    with pytest.raises(InvalidInputError, match="Nothing is playing"):
        await control.skip(invocation(), None)
    state = await playing(stores)
    assert state.now_playing is not None
    assert (
        await control.skip(invocation(), None)
    ).content == "⏭ Skipped [track 1](<http://127.0.0.1:8765/media/t1.mp3>)."
    assert (await control.skip(invocation(), 3)).content == "⏭ Skipping 3 tracks."
    with pytest.raises(InvalidInputError):
        await control.skip(invocation(), 0)
    commands = await sent(stores)
    assert [(type(c), getattr(c, "count", None)) for c in commands] == [(SkipCommand, 1), (SkipCommand, 3)]
    uid = state.now_playing.uid
    assert [getattr(c, "uid", None) for c in commands] == [uid, uid], "each skip names the track the member saw"


async def test_skip_votes(stores: Stores, control: ControlActions) -> None:
    """Three listeners at the default 50 %: two votes skip; the requester skips at once; votes belong to a track."""
    state = await playing(stores)
    assert state.now_playing is not None
    three = frozenset({7, 8, 9})
    first = await control.skip(invocation(7, listeners=three), None)
    assert first.content.endswith(": 1 of 2 votes — 1 more needed.") and not first.ephemeral
    with pytest.raises(InvalidInputError, match=r"already voted to skip this track \(1 of 2 votes"):
        await control.skip(invocation(7, listeners=three), None)
    with pytest.raises(InvalidInputError, match="only the current track"):
        await control.skip(invocation(8, listeners=three), 2)
    assert await sent(stores) == []
    second = await control.skip(invocation(8, listeners=three), None)
    assert second.content.startswith("⏭ Vote passed (2 of 2 votes): skipped [track 1]")
    late = await control.skip(invocation(9, listeners=three), None)
    assert "has passed already" in late.content and late.ephemeral
    passed = await sent(stores)
    assert [(type(c), getattr(c, "uid", None)) for c in passed] == [(SkipCommand, state.now_playing.uid)]
    await playing(stores)  # the next track: nobody has voted for it yet
    assert (await control.skip(invocation(7, listeners=three), None)).content.endswith("1 more needed.")
    requester = state.now_playing.requester_id
    await control.skip(invocation(requester, listeners=three | {requester}), None)
    assert [type(c) for c in await sent(stores)] == [SkipCommand, SkipCommand]


async def test_control_needs_the_bots_channel(stores: Stores, control: ControlActions) -> None:
    await playing(stores)
    with pytest.raises(PermissionDeniedError, match=f"Join <#{VOICE}>"):
        await control.skip(invocation(voice=OTHER_VOICE), None)
    with pytest.raises(PermissionDeniedError):
        await control.pause(invocation(voice=None))
    assert await sent(stores) == []
    await control.pause(invocation(voice=None, manage=True))
    assert [type(c) for c in await sent(stores)] == [PauseCommand]


async def test_pause_and_resume_check_the_state(stores: Stores, control: ControlActions) -> None:
    await playing(stores)
    with pytest.raises(InvalidInputError, match="Not paused"):
        await control.resume(invocation())
    await control.pause(invocation())
    await playing(stores, paused=True)
    with pytest.raises(InvalidInputError, match="Already paused"):
        await control.pause(invocation())
    await control.resume(invocation())
    assert [type(c) for c in await sent(stores)] == [PauseCommand, ResumeCommand]


async def test_previous_needs_history(stores: Stores, control: ControlActions) -> None:
    with pytest.raises(InvalidInputError, match="nothing to go back to"):
        await control.previous(invocation())
    state = await playing(stores)
    await stores.queue.append(GUILD, [make_item(2)], limits=QueueLimits(max_length=100, max_per_user=100))
    lease = await stores.leases.holder(GUILD)
    assert lease is not None
    await stores.players.advance(GUILD, lease.fence, state)
    reply = await control.previous(invocation())
    assert reply.content.startswith("⏮ Back to [track 1]")
    assert [type(c) for c in await sent(stores)] == [PreviousCommand]


@pytest.mark.parametrize(
    ("raw", "position_ms", "relative"),
    [("1:23", 83_000, False), ("+15", 15_000, True), ("-10", -10_000, True), ("0", 0, False)],
)
async def test_seek(stores: Stores, control: ControlActions, raw: str, position_ms: int, relative: bool) -> None:
    await store_state(stores, PlayerState(now_playing=make_item(1).model_copy(update={"track": LONG})))
    await control.seek(invocation(), raw)
    [command] = await sent(stores)
    assert isinstance(command, SeekCommand)
    assert (command.position_ms, command.relative) == (position_ms, relative)


LONG = Track(url="https://example.test/long", title="long", duration_ms=300_000)


async def test_seek_rejections(stores: Stores, control: ControlActions) -> None:
    with pytest.raises(InvalidInputError, match="Nothing is playing"):
        await control.seek(invocation(), "10")
    await playing(stores)
    with pytest.raises(InvalidInputError, match="past the end"):
        await control.seek(invocation(), "0:06")
    with pytest.raises(InvalidInputError, match="not a time"):
        await control.seek(invocation(), "soon")
    live = make_item(1).model_copy(update={"track": Track(url="https://example.test/live", title="radio")})
    await store_state(stores, PlayerState(now_playing=live))
    with pytest.raises(InvalidInputError, match="live stream"):
        await control.seek(invocation(), "10")
    assert await sent(stores) == []


@pytest.mark.parametrize(
    ("raw", "echo"),
    [("-1:75", "`-1:75`"), ("-" + "9" * 3000, "`-" + "9" * 22 + "…` (3,001 characters)"), ("+x", "`+x`")],
)
async def test_a_refused_seek_is_echoed_with_its_sign_and_briefly(
    stores: Stores, control: ControlActions, raw: str, echo: str
) -> None:
    await store_state(stores, PlayerState(now_playing=make_item(1).model_copy(update={"track": LONG})))
    with pytest.raises(InvalidInputError) as refused:
        await control.seek(invocation(), raw)
    assert str(refused.value).startswith(f"{echo} is ")
    assert len(str(refused.value)) < 120


async def test_a_seek_back_says_back(stores: Stores, control: ControlActions) -> None:
    await store_state(stores, PlayerState(now_playing=make_item(1).model_copy(update={"track": LONG})))
    assert (await control.seek(invocation(), "-1:23")).content == "⏩ Seeking back 1:23."


async def test_volume_filters_and_stop_need_the_dj_role(stores: Stores, control: ControlActions) -> None:
    await stores.settings.update(GUILD, dj_role_id=DJ)
    for attempt in (
        control.volume(invocation(), 50),
        control.set_filters(invocation(), "nightcore"),
        control.clear_filters(invocation()),
        control.stop(invocation()),
    ):
        with pytest.raises(PermissionDeniedError, match=f"<@&{DJ}>"):
            await attempt
    assert await sent(stores) == []
    dj = invocation(roles=(DJ,))
    assert (await control.volume(dj, 150)).content == "🔊 Volume set to 150%."
    assert (await control.set_filters(dj, "nightcore, bassboost=5")).content == "🎛 Filters: nightcore, bassboost=5."
    await control.clear_filters(invocation(manage=True))
    await control.stop(dj)
    volume, filters, cleared, stop = await sent(stores)
    assert isinstance(volume, VolumeCommand) and volume.volume == 150
    assert isinstance(filters, FiltersCommand)
    assert filters.filters == FilterChain(presets=(FilterPreset.NIGHTCORE, FilterPreset.BASSBOOST), bass_gain_db=5)
    assert isinstance(cleared, FiltersCommand) and cleared.filters == FilterChain()
    assert isinstance(stop, StopCommand)


async def test_bad_volume_and_filters_store_nothing(stores: Stores, control: ControlActions) -> None:
    with pytest.raises(InvalidInputError):
        await control.volume(invocation(), 201)
    with pytest.raises(InvalidInputError):
        await control.set_filters(invocation(), "nightcore, chipmunk")
    assert await sent(stores) == []


async def test_filter_list_shows_the_active_chain(stores: Stores, control: ControlActions) -> None:
    await playing(stores, filters=FilterChain(presets=(FilterPreset.KARAOKE,), speed=1.5))
    reply = await control.list_filters(invocation(voice=None))
    assert reply.ephemeral
    assert reply.content.startswith("🎛 Active: karaoke, speed=1.5\nAvailable: nightcore")


async def test_loop_explicit_and_cycling(stores: Stores, control: ControlActions) -> None:
    await control.loop(invocation(), "queue")
    await playing(stores, loop=LoopMode.TRACK)
    assert (await control.loop(invocation(), None)).content == "🔁 Looping the queue."
    with pytest.raises(InvalidInputError):
        await control.loop(invocation(), "sometimes")
    modes = [c.mode for c in await sent(stores) if isinstance(c, LoopCommand)]
    assert modes == [LoopMode.QUEUE, LoopMode.QUEUE]


async def test_leave(stores: Stores, control: ControlActions) -> None:
    with pytest.raises(InvalidInputError, match="not in a voice channel"):
        await control.leave(invocation(bot=None))
    await control.leave(invocation())
    assert [type(c) for c in await sent(stores)] == [LeaveCommand]


async def test_player_buttons_are_the_same_commands(
    stores: Stores, play: PlayActions, control: ControlActions, queue: QueueActions
) -> None:
    router = ComponentRouter(play, control, queue, stores.players)
    await playing(stores)
    await router.button(invocation(), PlayerButton.TOGGLE)
    await playing(stores, paused=True)
    await router.button(invocation(), PlayerButton.TOGGLE)
    await router.button(invocation(), PlayerButton.SKIP)
    await router.button(invocation(), PlayerButton.LOOP)
    await router.button(invocation(), PlayerButton.STOP)
    with pytest.raises(InvalidInputError, match="not enough"):
        await router.button(invocation(), PlayerButton.SHUFFLE)
    kinds = [type(c) for c in await sent(stores)]
    assert kinds == [PauseCommand, ResumeCommand, SkipCommand, LoopCommand, StopCommand]
    await stores.settings.update(GUILD, dj_role_id=DJ)
    with pytest.raises(PermissionDeniedError):
        await router.button(invocation(), PlayerButton.STOP)
    with pytest.raises(PermissionDeniedError):
        await router.button(invocation(voice=OTHER_VOICE), PlayerButton.SKIP)
