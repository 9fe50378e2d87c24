"""Now playing in the voice channel's status: when it is set, changed and cleared, and how refusals are handled.

The sink records what would be sent to Discord (the real one is proven through the whole stack in
tests/e2e/test_voice_status.py); the stores are the real ones on redis-server.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

import pytest

from gateway.events.announcer import Announcer
from gateway.events.voice_status import REFUSED_FOR_S, StatusOutcome, VoiceStatus
from gateway.stores.clients import Stores, Streams
from gateway.wording.limits import VOICE_STATUS
from gateway.wording.voice_status import now_playing_status
from shared.events import LeaveReason, PlayerLeft, QueueFinished, TrackEnded, TrackEndReason, TrackStarted
from shared.models import PlayerState, QueueItem, Track
from shared.tasks import TaskOwner
from tests.factories import make_item
from tests.gateway.doubles import GUILD, OTHER_VOICE, TEXT, VOICE, RecordingSink, store_state
from tests.gateway.test_announcer import EVERY_SHARD


@dataclass
class StatusRecorder:
    """A StatusSink that records requests and answers with `outcome`; `gate` (when set) holds each request."""

    outcome: StatusOutcome = StatusOutcome.SET
    sent: list[tuple[int, str]] = field(default_factory=list)
    gate: asyncio.Event | None = None

    async def set_status(self, channel_id: int, text: str) -> StatusOutcome:
        self.sent.append((channel_id, text))
        if self.gate is not None:
            await self.gate.wait()
        return self.outcome


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


def started(item: QueueItem) -> TrackStarted:
    return TrackStarted(guild_id=GUILD, at_ms=1, text_channel_id=TEXT, item=item)


async def playing(stores: Stores, item: QueueItem, channel: int = VOICE) -> None:
    await store_state(stores, PlayerState(now_playing=item, voice_channel_id=channel, text_channel_id=TEXT))


@pytest.fixture
def sink() -> StatusRecorder:
    return StatusRecorder()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def status(stores: Stores, sink: StatusRecorder, background: TaskOwner, clock: Clock) -> VoiceStatus:
    return VoiceStatus(stores.settings, stores.players, sink, background, clock)


async def follow(status: VoiceStatus, event: TrackStarted | TrackEnded | QueueFinished | PlayerLeft) -> None:
    status.follow(event)
    await status.settled(GUILD)


async def test_set_once_per_track_changed_on_the_next_and_cleared_on_stop(
    stores: Stores, status: VoiceStatus, sink: StatusRecorder
) -> None:
    first, second = make_item(1), make_item(2)
    await playing(stores, first)
    await follow(status, started(first))
    await follow(status, started(first))
    assert sink.sent == [(VOICE, "♪ track 1")], "the same track again (loop, handoff) sends nothing"
    await playing(stores, second)
    await follow(status, TrackEnded(guild_id=GUILD, at_ms=2, item=first, reason=TrackEndReason.SKIPPED))
    await follow(status, started(second))
    await follow(status, TrackEnded(guild_id=GUILD, at_ms=3, item=second, reason=TrackEndReason.STOPPED))
    assert sink.sent[1:] == [(VOICE, "♪ track 2"), (VOICE, "")]
    await follow(status, QueueFinished(guild_id=GUILD, at_ms=4))
    await follow(status, PlayerLeft(guild_id=GUILD, at_ms=5, reason=LeaveReason.IDLE))
    assert len(sink.sent) == 3, "nothing shown: nothing to clear"


async def test_queue_end_and_leave_clear_it(stores: Stores, status: VoiceStatus, sink: StatusRecorder) -> None:
    item = make_item(1)
    await playing(stores, item)
    await follow(status, started(item))
    await follow(status, QueueFinished(guild_id=GUILD, at_ms=2))
    await follow(status, started(item))
    await follow(status, PlayerLeft(guild_id=GUILD, at_ms=3, reason=LeaveReason.ASKED))
    assert sink.sent == [(VOICE, "♪ track 1"), (VOICE, "")] * 2


async def test_the_setting_turns_it_off_and_clears_what_was_shown(
    stores: Stores, status: VoiceStatus, sink: StatusRecorder
) -> None:
    first, second = make_item(1), make_item(2)
    await playing(stores, first)
    await follow(status, started(first))
    await stores.settings.update(GUILD, voice_status=False)
    await playing(stores, second)
    await follow(status, started(second))
    await follow(status, started(make_item(3)))
    await follow(status, TrackEnded(guild_id=GUILD, at_ms=2, item=second, reason=TrackEndReason.STOPPED))
    assert sink.sent == [(VOICE, "♪ track 1"), (VOICE, "")]


async def test_a_refusal_is_remembered_logged_once_and_retried_later(
    stores: Stores, status: VoiceStatus, sink: StatusRecorder, clock: Clock, caplog: pytest.LogCaptureFixture
) -> None:
    sink.outcome = StatusOutcome.REFUSED
    caplog.set_level(logging.INFO, logger="gateway.events.voice_status")
    for n in range(1, 5):
        item = make_item(n)
        await playing(stores, item)
        await follow(status, started(item))
    await follow(status, TrackEnded(guild_id=GUILD, at_ms=2, item=item, reason=TrackEndReason.STOPPED))
    assert sink.sent == [(VOICE, "♪ track 1")]
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert [r.levelno for r in refusals] == [logging.INFO]
    clock.now += REFUSED_FOR_S + 1
    sink.outcome = StatusOutcome.SET
    await follow(status, started(item))
    assert sink.sent[-1] == (VOICE, "♪ track 4")


async def test_a_failure_keeps_what_is_shown_so_it_is_still_cleared(
    stores: Stores, status: VoiceStatus, sink: StatusRecorder
) -> None:
    first, second = make_item(1), make_item(2)
    await playing(stores, first)
    await follow(status, started(first))
    sink.outcome = StatusOutcome.FAILED
    await playing(stores, second)
    await follow(status, started(second))
    sink.outcome = StatusOutcome.SET
    await follow(status, PlayerLeft(guild_id=GUILD, at_ms=3, reason=LeaveReason.IDLE))
    assert sink.sent == [(VOICE, "♪ track 1"), (VOICE, "♪ track 2"), (VOICE, "")]


async def test_changes_overtaken_while_one_is_sent_are_never_sent(
    stores: Stores, status: VoiceStatus, sink: StatusRecorder
) -> None:
    sink.gate = asyncio.Event()
    items = [make_item(n) for n in range(1, 5)]
    await playing(stores, items[-1])
    for item in items:
        status.follow(started(item))
        await asyncio.sleep(0.01)
    sink.gate.set()
    await status.settled(GUILD)
    assert sink.sent == [(VOICE, "♪ track 1"), (VOICE, "♪ track 4")], "2 and 3 were overtaken while 1 was sent"


async def test_the_now_playing_message_never_waits_for_the_status(
    stores: Stores, streams: Streams, status: VoiceStatus, sink: StatusRecorder
) -> None:
    sink.gate = asyncio.Event()
    messages = RecordingSink()
    announcer = Announcer(stores, streams.events, EVERY_SHARD, lambda: 1, messages, status)
    item = make_item(1)
    await playing(stores, item)
    async with asyncio.timeout(5):
        await announcer.handle(started(item))
    assert [kind for kind, _, _ in messages.history] == ["send"]
    assert not sink.gate.is_set()
    sink.gate.set()
    await status.settled(GUILD)
    assert sink.sent == [(VOICE, "♪ track 1")]


async def test_leaving_or_moving_clears_the_old_channel_first(
    stores: Stores, status: VoiceStatus, sink: StatusRecorder
) -> None:
    item = make_item(1)
    await playing(stores, item)
    await follow(status, started(item))
    await status.before_voice_change(GUILD, VOICE)
    assert sink.sent == [(VOICE, "♪ track 1")], "a rejoin of the same channel keeps it"
    await status.before_voice_change(GUILD, OTHER_VOICE)
    assert sink.sent[-1] == (VOICE, "")
    await playing(stores, item, OTHER_VOICE)
    await follow(status, started(item))
    await status.before_voice_change(GUILD, None)
    assert sink.sent[1:] == [(VOICE, ""), (OTHER_VOICE, "♪ track 1"), (OTHER_VOICE, "")]
    await status.before_voice_change(GUILD, None)
    assert len(sink.sent) == 4


async def test_a_rejoin_of_the_same_channel_keeps_a_change_being_sent(
    stores: Stores, status: VoiceStatus, sink: StatusRecorder
) -> None:
    sink.gate = asyncio.Event()
    item = make_item(1)
    await playing(stores, item)
    status.follow(started(item))
    await asyncio.sleep(0.01)
    rejoin = asyncio.create_task(status.before_voice_change(GUILD, VOICE))
    await asyncio.sleep(0.01)
    sink.gate.set()
    await rejoin
    await status.settled(GUILD)
    assert sink.sent == [(VOICE, "♪ track 1")]


def test_status_words_one_line_with_the_artist_cut_to_the_limit() -> None:
    url = "http://127.0.0.1/a.mp3"
    assert now_playing_status(Track(url=url, title="Song", artist="Band")) == "♪ Song — Band"
    assert now_playing_status(Track(url=url, title="Song")) == "♪ Song"
    hostile = Track(url=url, title="Line\none\u202etxt.exe\u200b", artist="\u2066\u2069")
    assert now_playing_status(hostile) == "♪ Line onetxt.exe"
    long = now_playing_status(Track(url=url, title="t" * 256, artist="a" * 256))
    assert len(long) == VOICE_STATUS and long.endswith("…") and long.startswith("♪ " + "t" * 256 + " — a")
