"""The guild player's state machine against a real redis-server, with stand-in media ports (tests/worker/fakes).

Each test drives the player through its command stream exactly as the supervisor does and checks the committed
state, the queue, the history and the events it publishes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import pytest
from redis.asyncio import Redis

from localdiscord.waiting import wait_until, wait_until_async
from shared.active_store import ActiveGuildStore
from shared.command_store import CommandStore
from shared.commands import (
    BandGainSetting,
    Command,
    EqualizerCommand,
    FiltersCommand,
    JoinCommand,
    LeaveCommand,
    LoopCommand,
    PauseCommand,
    PlayNowCommand,
    PreviousCommand,
    QueueChangedCommand,
    ResumeCommand,
    SeekCommand,
    SkipCommand,
    StopCommand,
    VolumeCommand,
)
from shared.event_store import EventStore
from shared.events import Event, LeaveReason, SubstitutionReason, TrackStarted, TrackSubstituted
from shared.keys import Keys
from shared.lease_store import LeaseStore
from shared.models import (
    Equalizer,
    EqualizerPreset,
    FilterChain,
    FilterPreset,
    LoopMode,
    Matched,
    MatchMethod,
    PlayerState,
    QueueItem,
    Track,
)
from shared.player_store import PlayerStore
from shared.queue_store import QueueLimits, QueueStore
from shared.settings_store import SettingsStore
from tests.factories import make_item, titles
from tests.worker.configs import player_config
from tests.worker.fakes import FakeAudio, FakeRelated, FakeStreams, FakeVoice, FixedLease
from worker.player.config import PlayerStores
from worker.player.guild_player import GuildPlayer
from worker.player.state import DirectCheckpoints

GUILD = 900
VOICE = 901
ROOMY = QueueLimits(10_000, 10_000)


@dataclass
class Rig:
    redis: Redis
    keys: Keys
    stores: PlayerStores
    audio: FakeAudio
    voice: FakeVoice
    streams: FakeStreams
    lease: FixedLease
    player: GuildPlayer
    task: asyncio.Task[None]
    cursor: str = "0-0"
    related: FakeRelated = field(default_factory=FakeRelated)

    async def send(self, command: Command) -> str:
        entry_id = await self.stores.commands.append(GUILD, command)
        self.player.deliver(await self.stores.commands.read_after(GUILD, self.cursor))
        self.cursor = entry_id
        return entry_id

    async def queue(self, *items: QueueItem) -> None:
        await self.stores.queue.append(GUILD, list(items), limits=ROOMY)

    async def state(self) -> PlayerState:
        state = await self.stores.players.load(GUILD)
        if self.task.done() and not self.task.cancelled() and self.task.exception():
            raise AssertionError("the player crashed") from self.task.exception()
        assert state is not None
        return state

    async def events(self) -> list[Event]:
        return [e.event for e in await self.stores.events.wait("0-0", block_ms=1, count=10_000) if e.event]

    async def until(self, predicate: Callable[[], object], limit_s: float = 5.0) -> None:
        await wait_until(lambda: bool(predicate()), limit_s, "the player condition")

    async def until_state(self, check: Callable[[PlayerState], bool], limit_s: float = 5.0) -> PlayerState:
        last: list[PlayerState | None] = [None]

        async def reached() -> PlayerState | None:
            state = last[0] = await self.stores.players.load(GUILD)
            if self.task.done() and not self.task.cancelled() and self.task.exception():
                raise AssertionError("the player crashed") from self.task.exception()
            return state if state is not None and check(state) else None

        return await wait_until_async(reached, limit_s, lambda: f"state {last[0]}", interval=0.02)


def _playing(title: str | None) -> Callable[[PlayerState], bool]:
    return lambda s: (s.now_playing.track.title if s.now_playing else None) == title


@pytest.fixture
async def rig(redis: Redis, keys: Keys) -> AsyncIterator[Rig]:
    players = PlayerStore(redis, keys)
    stores = PlayerStores(
        players=players,
        queue=QueueStore(redis, keys),
        settings=SettingsStore(redis, keys),
        events=EventStore(redis, keys),
        commands=CommandStore(redis, keys),
        active=ActiveGuildStore(redis, keys),
        checkpoints=DirectCheckpoints(players),
    )
    lease = await LeaseStore(redis, keys).acquire(GUILD, "test", 60_000)
    assert lease is not None
    fixed = FixedLease(lease.fence)
    audio, voice, streams, related = FakeAudio(), FakeVoice(), FakeStreams(), FakeRelated()
    config = player_config(checkpoint_ms=50, voice_connect_timeout_s=1.0, settings_refresh_s=0.2)
    player = GuildPlayer(
        GUILD,
        lease=fixed,
        stores=stores,
        audio=audio,
        voice=voice,
        streams=streams,
        related=related,
        config=config,
    )
    await player.prepare()
    task = asyncio.create_task(player.run())
    rig = Rig(redis, keys, stores, audio, voice, streams, fixed, player, task, cursor=player.cursor, related=related)
    yield rig
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_join_plays_the_queue_in_order_into_history(rig: Rig) -> None:
    await rig.queue(make_item(1), make_item(2), make_item(3))
    await rig.send(JoinCommand(voice_channel_id=VOICE, text_channel_id=5))
    await rig.until_state(_playing("track 1"))
    assert rig.voice.connects == [VOICE]
    await rig.until_state(lambda s: s.now_playing is None, limit_s=5)
    assert [s.url.rsplit("/", 1)[-1] for s in rig.audio.starts] == ["t1.mp3", "t2.mp3", "t3.mp3"]
    assert rig.audio.gapless == 2, "tracks 2 and 3 were prepared ahead and followed without a new start"
    assert titles((await rig.stores.players.history(GUILD)).items) == ["track 3", "track 2", "track 1"]

    async def finished() -> list[str] | None:
        # The state says nothing plays before the player has asked autoplay and published the end of the queue.
        kinds: list[str] = [e.kind for e in await rig.events()]
        return kinds if kinds and kinds[-1] == "queue_finished" else None

    kinds = await wait_until_async(finished, 5.0, lambda: "queue_finished as the last event", interval=0.02)
    assert kinds.count("track_started") == 3
    assert all(e.text_channel_id == 5 for e in await rig.events())


async def test_skip_previous_and_play_now(rig: Rig) -> None:
    rig.audio.length_ms = 60_000
    items = [make_item(n) for n in range(1, 6)]
    await rig.queue(*items)
    await rig.send(JoinCommand(voice_channel_id=VOICE))
    await rig.until_state(_playing("track 1"))
    await rig.send(SkipCommand(count=2))
    await rig.until_state(_playing("track 3"))
    await rig.send(PreviousCommand())
    await rig.until_state(_playing("track 1"))
    assert titles(await rig.stores.queue.all_items(GUILD)) == ["track 3", "track 4", "track 5"]
    await rig.send(PlayNowCommand(uid=items[4].uid))
    state = await rig.until_state(_playing("track 5"))
    assert titles(await rig.stores.queue.all_items(GUILD)) == ["track 3", "track 4"]
    assert state.cursor == rig.cursor
    ended = [e for e in await rig.events() if e.kind == "track_ended"]
    assert [e.reason.value for e in ended] == ["skipped", "replaced", "replaced"]


async def test_a_skip_meant_for_a_track_that_already_ended_skips_nothing(rig: Rig) -> None:
    rig.audio.length_ms = 60_000
    items = [make_item(n) for n in range(1, 4)]
    await rig.queue(*items)
    await rig.send(JoinCommand(voice_channel_id=VOICE))
    await rig.until_state(_playing("track 1"))
    await rig.send(SkipCommand(count=1, uid=items[0].uid))
    await rig.until_state(_playing("track 2"))
    stale = await rig.send(SkipCommand(count=1, uid=items[0].uid))
    state = await rig.until_state(lambda s: s.cursor == stale)
    assert state.now_playing is not None
    assert state.now_playing.uid == items[1].uid, "the vote for track 1 passed late: track 2 plays on"
    assert titles(await rig.stores.queue.all_items(GUILD)) == ["track 3"]


async def test_pause_resume_seek_volume_filters(rig: Rig) -> None:
    rig.audio.length_ms = 60_000
    await rig.queue(make_item(1, duration_ms=60_000))
    await rig.send(JoinCommand(voice_channel_id=VOICE))
    await rig.until_state(_playing("track 1"))
    await rig.send(PauseCommand())
    paused_at = (await rig.until_state(lambda s: s.paused)).position_ms
    await asyncio.sleep(0.3)
    assert (await rig.state()).position_ms == paused_at, "the pause stores where the audio stopped, not before"
    await rig.send(ResumeCommand())
    await rig.until_state(lambda s: not s.paused)
    await rig.send(SeekCommand(position_ms=30_000))
    await rig.until(lambda: rig.audio.starts[-1].position_ms == 30_000)
    await rig.send(SeekCommand(position_ms=-10_000, relative=True))
    await rig.until(lambda: 19_000 <= rig.audio.starts[-1].position_ms <= 21_000)
    await rig.send(VolumeCommand(volume=50))
    await rig.until(lambda: rig.audio.starts[-1].volume == 50)
    nightcore = FilterChain(presets=(FilterPreset.NIGHTCORE,))
    await rig.send(FiltersCommand(filters=nightcore))
    await rig.until(lambda: rig.audio.starts[-1].filters == nightcore)
    assert rig.audio.starts[-1].position_ms >= 19_000, "filters restart at the current position"
    state = await rig.until_state(lambda s: s.filters == nightcore)
    assert state.volume == 50


async def test_equalizer_commands_apply_in_order_and_swap_the_pipeline_at_the_position(rig: Rig) -> None:
    rig.audio.length_ms = 60_000
    await rig.queue(make_item(1, duration_ms=60_000), make_item(2, duration_ms=60_000))
    await rig.send(JoinCommand(voice_channel_id=VOICE))
    await rig.until_state(_playing("track 1"))
    await rig.send(SeekCommand(position_ms=20_000))
    await rig.until(lambda: rig.audio.starts[-1].position_ms == 20_000)
    seek_key = rig.audio.starts[-1].key
    bass = Equalizer.of_preset(EqualizerPreset.BASS)
    await rig.send(EqualizerCommand(replace=True, bands=tuple(BandGainSetting(hz=h, gain_db=g) for h, g in bass.bands)))
    await rig.send(EqualizerCommand(bands=(BandGainSetting(hz=16000, gain_db=-4),)))
    await rig.send(EqualizerCommand(bands=(BandGainSetting(hz=25, gain_db=1.5),)))
    curve = bass.with_gains({16000: -4.0, 25: 1.5})
    state = await rig.until_state(lambda s: s.equalizer == curve)
    await rig.until(lambda: rig.audio.starts[-1].equalizer == curve)
    swap = rig.audio.starts[-1]
    assert swap.position_ms >= 20_000 and swap.key == seek_key, "the same track, swapped in place"
    assert state.now_playing is not None and state.now_playing.track.title == "track 1"
    await rig.send(SkipCommand())
    await rig.until_state(_playing("track 2"))
    await rig.until(lambda: rig.audio.starts[-1].url.endswith("/t2.mp3"))
    assert rig.audio.starts[-1].equalizer == curve, "the equalizer stays for the next track"
    await rig.send(EqualizerCommand(replace=True))
    await rig.until_state(lambda s: s.equalizer.is_flat)


async def test_loop_track_and_loop_queue(rig: Rig) -> None:
    rig.audio.length_ms = 150
    await rig.queue(make_item(1), make_item(2))
    await rig.send(LoopCommand(mode=LoopMode.TRACK))
    await rig.send(JoinCommand(voice_channel_id=VOICE))
    await rig.until(lambda: len(rig.audio.starts) >= 3)
    assert {s.url for s in rig.audio.starts} == {rig.audio.starts[0].url}
    await rig.send(LoopCommand(mode=LoopMode.QUEUE))
    await rig.until(lambda: len(rig.audio.starts) >= 8)
    urls = [s.url.rsplit("/", 1)[-1] for s in rig.audio.starts[-4:]]
    assert sorted(set(urls)) == ["t1.mp3", "t2.mp3"]
    assert await rig.stores.queue.length(GUILD) == 1


async def test_stop_clears_and_leave_releases(rig: Rig) -> None:
    rig.audio.length_ms = 60_000
    await rig.queue(make_item(1), make_item(2))
    await ActiveGuildStore(rig.redis, rig.keys).mark(GUILD)
    await rig.send(JoinCommand(voice_channel_id=VOICE))
    await rig.until_state(_playing("track 1"))
    await rig.send(StopCommand())
    await rig.until_state(_playing(None))
    assert await rig.stores.queue.length(GUILD) == 0
    assert rig.audio.playbacks[-1].stopped
    await rig.send(LeaveCommand())
    await asyncio.wait_for(rig.task, 3)
    assert rig.player.released
    assert rig.voice.disconnects == [True]
    assert not await rig.stores.active.is_active(GUILD)


async def test_a_play_that_raced_the_leave_keeps_the_guild_for_the_next_owner(rig: Rig) -> None:
    """The /play's Join is in the stream behind the Leave; its mark came before the leave's unmark (a no-op then)."""
    await ActiveGuildStore(rig.redis, rig.keys).mark(GUILD)
    await rig.send(JoinCommand(voice_channel_id=VOICE))
    await rig.stores.commands.append(GUILD, LeaveCommand())
    await rig.stores.commands.append(GUILD, PauseCommand())
    await rig.send(JoinCommand(voice_channel_id=VOICE))  # delivers the three: the player leaves at the first
    await asyncio.wait_for(rig.task, 3)
    assert rig.player.released
    assert rig.voice.disconnects == [True]
    assert await rig.stores.active.is_active(GUILD)


async def test_broken_links_fail_or_get_substituted(rig: Rig) -> None:
    broken, replaced, fine = make_item(1), make_item(2), make_item(3)
    rig.streams.broken.add(broken.track.url)
    substitute = make_item(22)
    rig.streams.substitutes[replaced.track.url] = substitute
    await rig.queue(broken, replaced, fine)
    await rig.send(JoinCommand(voice_channel_id=VOICE))
    await rig.until_state(_playing("track 22"))
    await rig.until_state(_playing("track 3"))
    events = await rig.events()
    assert "track_failed" in [e.kind for e in events]
    substituted = [e for e in events if isinstance(e, TrackSubstituted)]
    assert [(e.item.uid, e.broken_url, e.reason, e.detail) for e in substituted] == [
        (substitute.uid, replaced.track.url, SubstitutionReason.GONE, "HTTP 404")
    ], "announced once, by the player"
    assert titles((await rig.stores.players.history(GUILD)).items)[-2:] == ["track 22", "track 1"]


async def test_a_fenced_out_player_stops_without_writing(rig: Rig) -> None:
    rig.audio.length_ms = 60_000
    await rig.queue(make_item(1))
    await rig.send(JoinCommand(voice_channel_id=VOICE))
    await rig.until_state(_playing("track 1"))
    await rig.redis.incr(rig.keys.fence(GUILD))  # another worker took over
    await rig.send(PauseCommand())
    await asyncio.wait_for(rig.task, 3)
    assert rig.audio.playbacks[-1].stopped
    assert not (await rig.state()).paused


async def test_restart_resumes_at_the_checkpoint(redis: Redis, keys: Keys, rig: Rig) -> None:
    rig.audio.length_ms = 60_000
    await rig.queue(make_item(1))
    await rig.send(JoinCommand(voice_channel_id=VOICE))
    await rig.until_state(lambda s: s.position_ms >= 300)
    rig.task.cancel()  # the worker dies
    with contextlib.suppress(asyncio.CancelledError):
        await rig.task
    checkpoint = (await rig.state()).position_ms
    fence = await redis.incr(keys.fence(GUILD))
    audio = FakeAudio(length_ms=60_000)
    successor = GuildPlayer(
        GUILD,
        lease=FixedLease(fence),
        stores=rig.stores,
        audio=audio,
        voice=FakeVoice(),
        streams=FakeStreams(),
        related=FakeRelated(),
        config=player_config(checkpoint_ms=50),
    )
    await successor.prepare()
    task = asyncio.create_task(successor.run())
    try:
        await rig.until(lambda: bool(audio.starts))
        assert audio.starts[0].position_ms == checkpoint
        assert checkpoint >= 300
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.mark.timeout(30)
async def test_idle_player_leaves_after_the_timeout(rig: Rig) -> None:
    await rig.stores.settings.update(GUILD, idle_timeout_s=10)
    await rig.send(JoinCommand(voice_channel_id=VOICE))
    await rig.until_state(lambda s: s.voice_channel_id == VOICE)
    await asyncio.sleep(9)
    assert not rig.task.done()
    await asyncio.wait_for(rig.task, 4)
    assert rig.player.released
    left = [e for e in await rig.events() if e.kind == "player_left"]
    assert [e.reason for e in left] == [LeaveReason.IDLE]


async def test_a_track_awaits_voice_readiness_instead_of_polling_it(rig: Rig) -> None:
    rig.voice.answers = False
    await rig.queue(make_item(1))
    await rig.send(JoinCommand(voice_channel_id=VOICE))
    await rig.until_state(_playing("track 1"))  # committed: the track now opens and waits for voice
    await asyncio.sleep(0.05)
    reads = rig.voice.status_reads
    await asyncio.sleep(0.2)  # ten polls' worth of time for a poller; an awaiting driver reads nothing meanwhile
    assert rig.voice.status_reads == reads, "the voice status was polled while the track waited for voice"
    assert rig.voice.waiting == 1
    assert rig.audio.starts == [], "no frame before voice is ready"
    rig.voice.become_ready()
    await rig.until(lambda: rig.audio.starts)
    assert rig.voice.waiting == 0


async def test_an_idle_player_wakes_on_queue_changed_and_does_not_watch_the_queue(rig: Rig) -> None:
    await rig.send(JoinCommand(voice_channel_id=VOICE))
    await rig.until(lambda: rig.voice.connects)
    await rig.queue(make_item(1))
    await asyncio.sleep(0.3)  # six checkpoint ticks: a player watching the queue would have started by now
    assert rig.audio.starts == [], "nothing told the owner yet"
    await rig.send(QueueChangedCommand())  # what the resolve job that queued the item appends
    await rig.until_state(_playing("track 1"))


async def test_a_mirrored_item_plays_its_match_and_the_state_says_what_plays(rig: Rig) -> None:
    """Opened (the first) or prepared ahead (gapless, the others): what plays is committed with the match."""
    items = [make_item(n) for n in range(1, 4)]
    for item in items:
        upload = Track(url=f"http://127.0.0.1:8765/media/u{item.track.title[-1]}.mp3", title=f"upload {item.uid}")
        rig.streams.matches[item.track.url] = Matched(track=upload, method=MatchMethod.SCORE, score=0.9)
    await rig.queue(*items)
    await rig.send(JoinCommand(voice_channel_id=VOICE))
    state = await rig.until_state(lambda s: s.now_playing is not None and s.now_playing.match is not None)
    assert state.now_playing is not None and state.now_playing.track.title == "track 1"
    await rig.until_state(lambda s: s.now_playing is None, limit_s=5)
    assert [s.url.rsplit("/", 1)[-1] for s in rig.audio.starts] == ["u1.mp3", "u2.mp3", "u3.mp3"]
    assert rig.audio.gapless == 2
    history = (await rig.stores.players.history(GUILD)).items
    assert [(i.track.title, i.match is not None) for i in history] == [(f"track {n}", True) for n in (3, 2, 1)]
    started = [e for e in await rig.events() if isinstance(e, TrackStarted)]
    assert [e.item.match is not None for e in started] == [True, True, True], "each card can say what plays"
