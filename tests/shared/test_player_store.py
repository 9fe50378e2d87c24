"""Fenced player transitions against a real redis-server: advance, loop modes, skip, previous, play now, stop."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from shared.errors import CorruptDataError
from shared.keys import Keys
from shared.lease_store import LeaseStore
from shared.models import LoopMode, PlayerState
from shared.player_store import PlayerStore, Retire
from shared.queue_store import QueueLimits, QueueStore
from tests.factories import make_item, titles

GUILD = 333
ROOMY = QueueLimits(max_length=1000, max_per_user=1000)


async def _setup(redis: Redis, keys: Keys, count: int) -> tuple[PlayerStore, QueueStore, int]:
    queue = QueueStore(redis, keys)
    await queue.append(GUILD, [make_item(n) for n in range(count)], limits=ROOMY)
    lease = await LeaseStore(redis, keys).acquire(GUILD, "w", 10_000)
    assert lease is not None
    return PlayerStore(redis, keys), queue, lease.fence


async def test_advance_walks_the_queue_into_history(redis: Redis, keys: Keys) -> None:
    players, queue, fence = await _setup(redis, keys, 3)
    state = PlayerState(fence=fence, cursor="5-0", volume=70)
    played = []
    for _ in range(4):
        transition = await players.advance(GUILD, fence, state)
        assert not transition.fenced_out
        loaded = await players.load(GUILD)
        assert loaded is not None and loaded.now_playing == transition.item
        assert (loaded.cursor, loaded.volume) == ("5-0", 70)
        state = loaded
        played.append(transition.item.track.title if transition.item else None)
    assert played == ["track 0", "track 1", "track 2", None]
    assert titles((await players.history(GUILD)).items) == ["track 2", "track 1", "track 0"]
    assert await queue.user_count(GUILD, 1) == 0


async def test_loop_queue_requeues_and_skip_drops(redis: Redis, keys: Keys) -> None:
    players, queue, fence = await _setup(redis, keys, 5)
    first = await players.advance(GUILD, fence, PlayerState(fence=fence, loop=LoopMode.QUEUE))
    state = PlayerState(fence=fence, loop=LoopMode.QUEUE, now_playing=first.item)
    second = await players.advance(GUILD, fence, state, retire=Retire.REQUEUE)
    assert second.item is not None and second.item.track.title == "track 1"
    assert titles(await queue.all_items(GUILD)) == ["track 2", "track 3", "track 4", "track 0"]
    state = state.model_copy(update={"now_playing": second.item, "loop": LoopMode.OFF})
    skipped = await players.advance(GUILD, fence, state, retire=Retire.DROP, skip_extra=2)
    assert skipped.item is not None and skipped.item.track.title == "track 4"
    assert titles(await queue.all_items(GUILD)) == ["track 0"]
    assert await queue.user_count(GUILD, 1) == 1


async def test_previous_and_play_now(redis: Redis, keys: Keys) -> None:
    players, queue, fence = await _setup(redis, keys, 4)
    state = PlayerState(fence=fence)
    for _ in range(2):
        state = state.model_copy(update={"now_playing": (await players.advance(GUILD, fence, state)).item})
    back = await players.previous(GUILD, fence, state)
    assert back.item is not None and back.item.track.title == "track 0"
    assert titles(await queue.all_items(GUILD)) == ["track 1", "track 2", "track 3"]
    state = state.model_copy(update={"now_playing": back.item})
    target = (await queue.all_items(GUILD))[2]
    jumped = await players.play_now(GUILD, fence, state, target.uid)
    assert jumped.item == target
    assert titles(await queue.all_items(GUILD)) == ["track 1", "track 2"]
    assert titles((await players.history(GUILD)).items) == ["track 0"]


async def test_stop_clears_queue_under_fence(redis: Redis, keys: Keys) -> None:
    players, queue, fence = await _setup(redis, keys, 4)
    assert not await players.stop(GUILD, fence - 1, PlayerState())
    assert await queue.length(GUILD) == 4
    assert await players.stop(GUILD, fence, PlayerState(fence=fence))
    assert await queue.length(GUILD) == 0


async def test_corrupt_player_state_is_a_clear_error(redis: Redis, keys: Keys) -> None:
    players = PlayerStore(redis, keys)
    await redis.set(keys.player(GUILD), b'{"np": "written by encore 0.0.1"}')
    with pytest.raises(CorruptDataError) as raised:
        await players.load(GUILD)
    assert raised.value.key == keys.player(GUILD)
