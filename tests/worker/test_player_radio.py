"""Autoplay in the guild player (worker/player/radio.py) against a real redis-server, the media side simulated.

The related tracks come from `FakeRelated` (a fixed catalogue filtered by the resolver's own exclusion rule), so
these tests prove what the player asks for, when, and what it does with the answer.
"""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from redis.asyncio import Redis

from shared.commands import JoinCommand, ListenersCommand, LoopCommand, StopCommand
from shared.keys import Keys
from shared.models import LoopMode, PlayerState, QueueItem, Track
from tests.factories import make_item
from tests.worker.configs import player_config
from tests.worker.fakes import FakeAudio, FakeRelated, FakeStreams, FakeVoice, FixedLease
from tests.worker.test_player import GUILD, VOICE, Rig, rig  # noqa: F401 - the fixture is used by name
from worker.player.guild_player import GuildPlayer

pytestmark = pytest.mark.timeout(30)


def related(n: int) -> Track:
    return Track(url=f"http://127.0.0.1:8765/media/r{n}.mp3", title=f"related {n}", duration_ms=5000)


def catalogue(seed: QueueItem) -> list[Track]:
    """What a mix looks like: it starts with its seed, then the related tracks."""
    return [seed.track, *(related(n) for n in range(1, 13))]


async def _history(player: Rig, count: int) -> list[QueueItem]:
    async def enough() -> bool:
        return (await player.stores.players.history(GUILD, 0, 100)).total >= count

    for _ in range(200):
        if await enough():
            break
        await asyncio.sleep(0.05)
    page = await player.stores.players.history(GUILD, 0, 100)
    assert page.total >= count, [item.track.title for item in page.items]
    return list(reversed(page.items))


async def test_the_radio_queues_related_tracks_without_repeats_and_never_ends(rig: Rig) -> None:  # noqa: F811
    seed = make_item(1)
    rig.related.catalogue = catalogue(seed)
    await rig.stores.settings.update(GUILD, autoplay=True)
    await rig.queue(seed)
    await rig.send(JoinCommand(voice_channel_id=VOICE))
    played = await _history(rig, 8)
    titles = [item.track.title for item in played]
    assert titles[:8] == ["track 1", *(f"related {n}" for n in range(1, 8))], titles
    assert len(set(titles)) == len(titles), "nothing played twice"
    assert [item.autoplay for item in played[:3]] == [False, True, True]
    seeds, excluded = rig.related.calls[1]
    assert seeds[:2] == ["related 3", "related 2"], "the refill looks from the last tracks, the newest first"
    assert {"track 1", "related 1", "related 2", "related 3"} <= set(excluded)
    assert await rig.stores.queue.length(GUILD) <= 3, "a few at a time"


async def test_off_the_queue_ends_as_before(rig: Rig) -> None:  # noqa: F811
    rig.related.catalogue = catalogue(make_item(9))
    await rig.queue(make_item(1))
    await rig.send(JoinCommand(voice_channel_id=VOICE))
    await _history(rig, 1)
    await asyncio.sleep(0.5)
    assert rig.related.calls == []
    assert (await rig.state()).now_playing is None
    assert [e.kind for e in await rig.events()].count("queue_finished") == 1


async def test_a_looping_track_looks_for_nothing(rig: Rig) -> None:  # noqa: F811
    rig.related.catalogue = catalogue(make_item(9))
    await rig.stores.settings.update(GUILD, autoplay=True)
    await rig.send(LoopCommand(mode=LoopMode.TRACK))
    await rig.queue(make_item(1))
    await rig.send(JoinCommand(voice_channel_id=VOICE))
    await rig.until(lambda: len(rig.audio.starts) + rig.audio.gapless >= 3)  # it played three times
    assert rig.related.calls == []
    assert await rig.stores.queue.length(GUILD) == 0


async def test_alone_the_radio_stops(rig: Rig) -> None:  # noqa: F811
    seed = make_item(1)
    rig.audio.length_ms = 1500
    rig.related.catalogue = catalogue(seed)
    rig.related.gate = asyncio.Event()
    await rig.stores.settings.update(GUILD, autoplay=True)
    await rig.queue(seed)
    await rig.send(JoinCommand(voice_channel_id=VOICE))
    await rig.until(lambda: rig.related.calls)  # it looked when the last track started
    await rig.send(ListenersCommand(count=0))
    await rig.until_state(lambda s: s.cursor == rig.cursor)
    rig.related.gate.set()  # the answer comes when nobody listens any more: dropped
    await _history(rig, 1)
    await asyncio.sleep(0.5)
    assert await rig.stores.queue.length(GUILD) == 0
    assert (await rig.state()).now_playing is None
    assert len(rig.related.calls) == 1, "nobody listens: the end of the queue looks for nothing"
    assert "queue_finished" in [e.kind for e in await rig.events()]


async def test_stop_drops_a_search_in_flight_and_nothing_refills(rig: Rig) -> None:  # noqa: F811
    seed = make_item(1)
    rig.audio.length_ms = 60_000
    rig.related.catalogue = catalogue(seed)
    rig.related.gate = asyncio.Event()
    await rig.stores.settings.update(GUILD, autoplay=True)
    await rig.queue(seed)
    await rig.send(JoinCommand(voice_channel_id=VOICE))
    await rig.until(lambda: rig.related.calls)
    await rig.send(StopCommand())
    await rig.until_state(lambda s: s.now_playing is None and s.cursor == rig.cursor)
    rig.related.gate.set()  # the search answers after the /stop
    await asyncio.sleep(0.5)
    assert await rig.stores.queue.length(GUILD) == 0
    assert (await rig.state()).now_playing is None
    assert len(rig.related.calls) == 1


async def test_a_new_owner_continues_the_radio(rig: Rig, redis: Redis, keys: Keys) -> None:  # noqa: F811
    rig.task.cancel()  # the owner dies while the last autoplayed track plays, before it looked for more
    with contextlib.suppress(asyncio.CancelledError):
        await rig.task
    seed = make_item(1)
    last = QueueItem(uid="ab" * 16, track=related(1), requester_id=1, autoplay=True)
    await rig.stores.players.advance(GUILD, rig.lease.fence, PlayerState(now_playing=seed, fence=rig.lease.fence))
    await rig.stores.settings.update(GUILD, autoplay=True)
    state = PlayerState(voice_channel_id=VOICE, now_playing=last, position_ms=100, fence=rig.lease.fence)
    await rig.stores.players.save(GUILD, rig.lease.fence, state)
    fence = int(await redis.incr(keys.fence(GUILD)))
    finder = FakeRelated(catalogue=catalogue(seed))
    successor = GuildPlayer(
        GUILD, lease=FixedLease(fence), stores=rig.stores, audio=FakeAudio(length_ms=60_000), voice=FakeVoice(),
        streams=FakeStreams(), related=finder, config=player_config(checkpoint_ms=50),
    )  # fmt: skip
    await successor.prepare()
    task = asyncio.create_task(successor.run())
    try:
        await rig.until(lambda: finder.calls)
        for _ in range(100):
            if await rig.stores.queue.length(GUILD) == 3:
                break
            await asyncio.sleep(0.05)
        queued = await rig.stores.queue.all_items(GUILD)
        assert [item.track.title for item in queued] == ["related 2", "related 3", "related 4"]
        assert all(item.autoplay for item in queued)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
