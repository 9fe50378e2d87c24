"""SponsorBlock in the guild player (real redis-server, stand-in media ports): where a track starts, the cuts it
prepares, the checkpoint and the events after a skip, and what the guild's categories leave alone."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis

from localdiscord.waiting import wait_until_async
from shared.active_store import ActiveGuildStore
from shared.command_store import CommandStore
from shared.commands import JoinCommand, SeekCommand
from shared.event_store import EventStore
from shared.events import SegmentSkipped
from shared.keys import Keys
from shared.lease_store import LeaseStore
from shared.models import (
    Matched,
    MatchMethod,
    MirrorService,
    PlayerState,
    QueueItem,
    SkipSegment,
    SponsorCategory,
    Track,
)
from shared.player_store import PlayerStore
from shared.queue_store import QueueStore
from shared.settings_store import SettingsStore
from tests.worker.configs import player_config
from tests.worker.fakes import FakeAudio, FakeRelated, FakeSegments, FakeStreams, FakeVoice, FixedLease
from tests.worker.test_player import GUILD, ROOMY, VOICE, Rig
from worker.player.config import PlayerStores
from worker.player.guild_player import GuildPlayer
from worker.player.state import DirectCheckpoints

S = SponsorCategory
LONG = 300_000


def video(n: int, duration_ms: int = LONG) -> QueueItem:
    track = Track(url=f"https://www.youtube.com/watch?v=video{n:06d}", title=f"video {n}", duration_ms=duration_ms)
    return QueueItem(uid=uuid.uuid4().hex, track=track, requester_id=1)


def seg(category: SponsorCategory, start_ms: int, end_ms: int) -> SkipSegment:
    return SkipSegment(category=category, start_ms=start_ms, end_ms=end_ms)


@dataclass
class SponsorRig:
    rig: Rig
    segments: FakeSegments

    async def skips(self) -> list[SegmentSkipped]:
        return [e for e in await self.rig.events() if isinstance(e, SegmentSkipped)]


type RigFactory = Callable[..., contextlib.AbstractAsyncContextManager[SponsorRig]]


@pytest.fixture
def make_rig(redis: Redis, keys: Keys) -> RigFactory:
    @contextlib.asynccontextmanager
    async def build(
        segments: FakeSegments,
        *,
        categories: tuple[SponsorCategory, ...] = (S.SPONSOR,),
        stored: PlayerState | None = None,
    ) -> AsyncIterator[SponsorRig]:
        players = PlayerStore(redis, keys)
        stores = PlayerStores(
            players=players, queue=QueueStore(redis, keys), settings=SettingsStore(redis, keys),
            events=EventStore(redis, keys), commands=CommandStore(redis, keys), active=ActiveGuildStore(redis, keys),
            checkpoints=DirectCheckpoints(players),
        )  # fmt: skip
        await stores.settings.update(GUILD, sponsorblock=categories)
        lease = await LeaseStore(redis, keys).acquire(GUILD, "test", 60_000)
        assert lease is not None
        if stored is not None:
            assert await stores.players.save(GUILD, lease.fence, stored)
        audio, voice, streams, fixed = FakeAudio(length_ms=LONG), FakeVoice(), FakeStreams(), FixedLease(lease.fence)
        voice.become_ready()
        config = player_config(checkpoint_ms=50, voice_connect_timeout_s=1.0, settings_refresh_s=0.2)
        player = GuildPlayer(
            GUILD, lease=fixed, stores=stores, audio=audio, voice=voice, streams=streams, related=FakeRelated(),
            config=config, segments=segments,
        )  # fmt: skip
        await player.prepare()
        task = asyncio.create_task(player.run())
        try:
            yield SponsorRig(
                Rig(redis, keys, stores, audio, voice, streams, fixed, player, task, player.cursor), segments
            )
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    return build


async def _start(rig: Rig, item: QueueItem) -> None:
    await rig.stores.queue.append(GUILD, [item], limits=ROOMY)
    await rig.send(JoinCommand(voice_channel_id=VOICE))
    await rig.until(lambda: rig.audio.starts)


async def test_a_takeover_inside_a_known_segment_resumes_after_it(
    make_rig: RigFactory,
) -> None:
    item = video(1)
    sponsor = seg(S.SPONSOR, 30_000, 70_000)
    segments = FakeSegments(segments={item.track.url: (sponsor,)}, cached={item.track.url})
    stored = PlayerState(now_playing=item, position_ms=40_000, voice_channel_id=VOICE, fence=1)
    async with make_rig(segments, stored=stored) as sr:
        rig = sr.rig
        await rig.until(lambda: rig.audio.starts)
        assert rig.audio.starts[0].position_ms == 70_000, "started at the segment's end, not inside it"
        state = await rig.until_state(lambda s: bool(s.skipped))
        assert state.skipped == (sponsor,) and state.position_ms >= 70_000
        assert [(e.segment, e.first) for e in await sr.skips()] == [(sponsor, True)]


async def test_late_segments_are_cut_at_their_boundaries_and_the_checkpoint_is_each_end(
    make_rig: RigFactory,
) -> None:
    item = video(2)
    first, second = seg(S.SPONSOR, 30_000, 70_000), seg(S.SPONSOR, 100_000, 110_000)
    segments = FakeSegments(segments={item.track.url: (second, first, seg(S.INTRO, 0, 9_000))})
    async with make_rig(segments) as sr:
        rig = sr.rig
        await _start(rig, item)
        assert rig.audio.starts[0].position_ms == 0, "playback does not wait for SponsorBlock"
        assert rig.audio.splices == []
        segments.release.set()
        await rig.until(lambda: rig.audio.splices)
        key = rig.audio.starts[0].key
        assert rig.audio.splices == [(key, 30_000, 70_000)], "the intro is not one of the guild's categories"
        rig.audio.pass_splice()
        state = await rig.until_state(lambda s: len(s.skipped) == 1)
        assert state.position_ms >= 70_000
        await rig.until(lambda: rig.audio.splices)
        assert rig.audio.splices == [(key, 100_000, 110_000)], "the next segment's cut is prepared at once"
        rig.audio.pass_splice()
        state = await rig.until_state(lambda s: len(s.skipped) == 2)
        assert state.skipped == (first, second) and state.position_ms >= 110_000
        assert [(e.segment, e.first) for e in await sr.skips()] == [(first, True), (second, False)]
        assert len(rig.audio.starts) == 1, "no restart: every skip was a prepared cut"


async def test_a_mirrored_track_skips_the_segments_of_the_video_it_was_matched_to(make_rig: RigFactory) -> None:
    spotify = Track(
        url="https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC", title="song", duration_ms=LONG,
        mirror=MirrorService.SPOTIFY,
    )  # fmt: skip
    item = QueueItem(uid=uuid.uuid4().hex, track=spotify, requester_id=1)
    heard = video(9).track
    sponsor = seg(S.SPONSOR, 30_000, 70_000)
    segments = FakeSegments(segments={heard.url: (sponsor,)})
    async with make_rig(segments) as sr:
        rig = sr.rig
        rig.streams.matches[spotify.url] = Matched(track=heard, method=MatchMethod.ISRC, score=1.0)
        await _start(rig, item)
        await rig.until(lambda: segments.fetches)
        assert segments.fetches == [heard.url], "the match's video is looked up, the Spotify link has none"
        segments.release.set()
        await rig.until(lambda: rig.audio.splices)
        assert rig.audio.splices == [(rig.audio.starts[0].key, 30_000, 70_000)]
        rig.audio.pass_splice()
        state = await rig.until_state(lambda s: bool(s.skipped))
        assert state.skipped == (sponsor,) and state.now_playing is not None and state.now_playing.match is not None


async def test_seeking_into_a_segment_cuts_at_once_and_an_end_segment_ends_the_track(
    make_rig: RigFactory,
) -> None:
    item = video(3)
    middle, end = seg(S.SPONSOR, 30_000, 70_000), seg(S.OUTRO, 290_000, 300_000)
    segments = FakeSegments(segments={item.track.url: (middle, end)}, cached={item.track.url})
    async with make_rig(segments, categories=(S.SPONSOR, S.OUTRO)) as sr:
        rig = sr.rig
        await _start(rig, item)
        await rig.until(lambda: rig.audio.splices)
        await rig.send(SeekCommand(position_ms=40_000))
        await rig.until(lambda: len(rig.audio.starts) == 2 and rig.audio.splices)
        assert rig.audio.splices == [(rig.audio.starts[1].key, 40_000, 70_000)], "cut under the playhead"
        await rig.send(SeekCommand(position_ms=200_000))
        await rig.until(lambda: len(rig.audio.starts) == 3 and rig.audio.splices)
        assert rig.audio.splices == [(rig.audio.starts[2].key, 290_000, None)], "ends the track there"


@pytest.mark.parametrize(
    ("categories", "url"),
    [((), "https://www.youtube.com/watch?v=video000004"), ((S.SPONSOR,), "https://example.com/a.mp3")],
    ids=["off", "not-youtube"],
)
async def test_off_or_not_youtube_looks_nothing_up(
    make_rig: RigFactory, categories: tuple[SponsorCategory, ...], url: str
) -> None:
    item = QueueItem(uid=uuid.uuid4().hex, track=Track(url=url, title="a", duration_ms=LONG), requester_id=1)
    segments = FakeSegments(segments={url: (seg(S.SPONSOR, 1000, 9000),)}, cached={url})
    async with make_rig(segments, categories=categories) as sr:
        await _start(sr.rig, item)
        await asyncio.sleep(0.3)
        assert segments.fetches == [] and sr.rig.audio.splices == []
        assert sr.rig.audio.starts[0].position_ms == 0


async def test_the_next_track_prepared_ahead_starts_after_a_segment_at_its_start(make_rig: RigFactory) -> None:
    first, second = video(5, duration_ms=3000), video(6)
    intro = seg(S.SPONSOR, 0, 2000)
    segments = FakeSegments(segments={second.track.url: (intro,)}, cached={second.track.url})
    async with make_rig(segments) as sr:
        rig = sr.rig
        rig.audio.length_ms = 3000
        await rig.stores.queue.append(GUILD, [first, second], limits=ROOMY)
        await rig.send(JoinCommand(voice_channel_id=VOICE))
        await rig.until(lambda: len(rig.audio.starts) == 2)
        assert rig.audio.gapless == 1, "the second video followed gaplessly"
        assert rig.audio.starts[1].position_ms == 2000, "it was prepared to start after its intro segment"
        await wait_until_async(sr.skips, 5, "the skip's event")
        assert [(e.item.uid, e.segment, e.first) for e in await sr.skips()] == [(second.uid, intro, True)]
