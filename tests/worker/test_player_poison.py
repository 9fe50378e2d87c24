"""Poison items against the real player state machine and a real redis-server (media simulated: tests/worker/fakes).

An item that cannot be opened is failed once and the next plays; crashes are counted against the now-playing item
in the fenced state, so that restarted players skip it after `max_crashes`; an item the previous owner was
opening when it vanished is skipped by the next owner without being retried.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from redis.asyncio import Redis

from shared.commands import JoinCommand, SkipCommand, StopCommand
from shared.events import PlaybackFailure, TrackFailed
from shared.keys import Keys
from shared.models import ItemTrouble, PlayerState
from tests.factories import make_item, titles
from tests.worker.configs import player_config
from tests.worker.fakes import FakeAudio, FakeRelated, FakeStreams, FakeVoice, FixedLease
from tests.worker.test_player import GUILD, VOICE, Rig, _playing, rig
from worker.player.guild_player import GuildPlayer

__all__ = ["rig"]


async def _failures(rig: Rig) -> list[TrackFailed]:
    return [e for e in await rig.events() if isinstance(e, TrackFailed)]


async def test_an_unopenable_item_fails_once_and_the_next_one_plays(rig: Rig) -> None:
    bad, good = make_item(1), make_item(2)
    rig.audio.unopenable.add(bad.track.url)
    await rig.queue(bad, good)
    await rig.send(JoinCommand(voice_channel_id=VOICE))
    await rig.until_state(_playing("track 2"))
    failures = await _failures(rig)
    assert [(f.item.uid, f.failure) for f in failures] == [(bad.uid, PlaybackFailure.UNREADABLE)]
    assert titles((await rig.stores.players.history(GUILD)).items) == ["track 1"]
    assert not rig.task.done()


async def test_commands_apply_between_failing_items(rig: Rig) -> None:
    items = [make_item(n) for n in range(1, 40)]
    rig.audio.unopenable.update(item.track.url for item in items)
    await rig.queue(*items)
    await rig.send(JoinCommand(voice_channel_id=VOICE))
    await rig.send(SkipCommand())
    await rig.send(StopCommand())
    state = await rig.until_state(lambda s: s.now_playing is None and s.cursor == rig.cursor)
    assert state.now_playing is None
    assert await rig.stores.queue.length(GUILD) == 0
    assert len(await _failures(rig)) < len(items), "stop was applied before every item had failed"


async def _player(rig: Rig, audio: FakeAudio, fence: int) -> tuple[GuildPlayer, asyncio.Task[None]]:
    config = player_config(checkpoint_ms=50, voice_connect_timeout_s=1.0, max_crashes=3)
    player = GuildPlayer(
        GUILD, lease=FixedLease(fence), stores=rig.stores, audio=audio, voice=FakeVoice(), streams=FakeStreams(),
        related=FakeRelated(), config=config,
    )  # fmt: skip
    await player.prepare()
    return player, asyncio.create_task(player.run())


@pytest.fixture
async def idle(rig: Rig) -> Rig:
    """The rig's own player stopped: the test runs players of its own on the rig's stores."""
    rig.task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await rig.task
    return rig


async def test_an_item_the_player_keeps_crashing_on_is_skipped_after_three_crashes(idle: Rig) -> None:
    bad, good = make_item(1), make_item(2)
    await idle.queue(bad, good)
    await idle.stores.players.save(GUILD, idle.lease.fence, PlayerState(voice_channel_id=VOICE))
    audio = FakeAudio(crashing={bad.track.url}, length_ms=60_000)
    for crash in range(1, 4):
        _, task = await _player(idle, audio, idle.lease.fence)
        with pytest.raises(RuntimeError):
            await asyncio.wait_for(task, 5)
        state = await idle.state()
        assert state.trouble == ItemTrouble(uid=bad.uid, crashes=crash), state
    _, task = await _player(idle, audio, idle.lease.fence)
    try:
        await idle.until_state(_playing("track 2"))
        failures = await _failures(idle)
        assert [(f.item.uid, f.failure) for f in failures] == [(bad.uid, PlaybackFailure.CRASHED)]
        assert (await idle.state()).trouble is None
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_new_owner_skips_the_item_its_predecessor_was_opening(idle: Rig, redis: Redis, keys: Keys) -> None:
    bad, good = make_item(1), make_item(2)
    await idle.queue(good)
    trouble = ItemTrouble(uid=bad.uid, opening=True)
    state = PlayerState(voice_channel_id=VOICE, now_playing=bad, trouble=trouble, fence=idle.lease.fence)
    await idle.stores.players.save(GUILD, idle.lease.fence, state)
    fence = await redis.incr(keys.fence(GUILD))  # the owner died while opening `bad`; another took over
    audio = FakeAudio(length_ms=60_000)
    _, task = await _player(idle, audio, fence)
    try:
        await idle.until_state(_playing("track 2"))
        assert [start.url for start in audio.starts] == [good.track.url], "the new owner did not open it again"
        failures = await _failures(idle)
        assert [(f.item.uid, f.failure) for f in failures] == [(bad.uid, PlaybackFailure.INTERRUPTED)]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
