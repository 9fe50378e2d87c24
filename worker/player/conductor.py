"""The queue's flow through a guild's audio: open an item and play it, end it, move on, and prepare the next.

The player decides when (a command, an end of track); the conductor carries it out on the committed state: the
new now-playing item is committed first, then played, then announced. An item that cannot be played is failed once
(poison_policy) and the loop moves on after any command that arrived first, so a run of broken items never holds a
command up.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Final

from shared.clock import now_ms
from shared.commands import Command
from shared.errors import PlaybackError
from shared.events import (
    PlaybackFailure,
    QueueFinished,
    TrackEnded,
    TrackEndReason,
    TrackFailed,
    TrackStarted,
    TrackSubstituted,
)
from shared.failures import Problem
from shared.models import LoopMode, QueueItem
from shared.observability import WorkerMetrics
from shared.player_store import Retire
from shared.queue_store import QueueStore
from shared.tasks import TaskOwner
from worker.player import poison_policy
from worker.player.announcer import Announcer
from worker.player.inbox import ItemFailed, RelatedFound
from worker.player.ports import StreamSource
from worker.player.radio import Radio
from worker.player.segments import SegmentSkipper
from worker.player.state import Fenced, FencedState
from worker.player.track_driver import TrackDriver, next_after

_log: Final = logging.getLogger(__name__)
FIRST_AUDIO_KINDS: Final = frozenset({"join", "queue_changed", "play_now"})
"""The commands a /play (or a search pick) sends: time to first audio is measured from them."""
_OVERRUN_GRACE_MS: Final = 10_000


class Conductor:
    def __init__(  # noqa: PLR0913 - the player's collaborators, shared with it
        self,
        guild_id: int,
        *,
        state: FencedState,
        driver: TrackDriver,
        skipper: SegmentSkipper,
        streams: StreamSource,
        queue: QueueStore,
        announcer: Announcer,
        moved_on: Callable[[ItemFailed], None],
        metrics: WorkerMetrics,
        prepare_ahead_ms: int,
        radio: Radio,
    ) -> None:
        """`moved_on` queues the ItemFailed of a failed item into the player's inbox."""
        self.guild_id = guild_id
        self._state = state
        self._driver = driver
        self._skipper = skipper
        self._streams = streams
        self._queue = queue
        self._announcer = announcer
        self._moved_on = moved_on
        self._metrics = metrics
        self._prepare_ahead_ms = prepare_ahead_ms
        self._radio = radio
        self.applying: Command | None = None
        """The command being applied, while it is (a /play's first audio is timed from it)."""
        self.awaiting_audio: Command | None = None
        """The last /play command that found the player idle: the track that starts next (from it, or from the
        queue it filled) times its first audio from it."""
        self._prepared_match: QueueItem | None = None
        """The prepared next item as matched, when it is a mirrored one (its card says what plays)."""
        self._unpreparable: str | None = None
        """The uid of a next track that could not be opened ahead: not tried again every tick."""
        self._side_tasks = TaskOwner()
        self._extra = {"guild_id": guild_id}

    async def play(self, item: QueueItem, position_ms: int) -> None:
        """Open `item` and play it; one that cannot be opened is failed (announced, then skipped in order)."""
        await self._state.set_trouble(poison_policy.opening(self._state.current.trouble, item))
        self._skipper.look_up(item)
        outcome = await self._streams.stream_for(self.guild_id, item)
        if not self._state.lease.valid():
            raise Fenced
        if outcome.stream is None:
            await self.failed(item, PlaybackFailure.UNAVAILABLE, repr(outcome.problem), problem=outcome.problem)
            return
        if outcome.item.match is not None and item.match is None:  # a mirrored item: what plays for it is known now
            await self._state.commit(self._state.next(now_playing=outcome.item))
            self._skipper.look_up(outcome.item)  # the match's own SponsorBlock segments
        if outcome.substitution is not None:
            # The one origin of TrackSubstituted: after the substitute is committed as what plays.
            await self._state.commit(self._state.next(now_playing=outcome.item, skipped=()))
            self._skipper.look_up(outcome.item)
            event = self._announcer.event(
                TrackSubstituted, item=outcome.item, broken_url=item.track.url, reason=outcome.substitution,
                detail=outcome.detail,
            )  # fmt: skip
            await self._announcer.publish(event)
        start_ms, skipped = await self._skipper.start_position(outcome.item, position_ms)
        try:
            await self._driver.start(outcome.item.uid, outcome.stream, start_ms, self._state.current)
        except PlaybackError as exc:
            await self.failed(outcome.item, poison_policy.failure_of(exc), str(exc))
            return
        await self._state.set_trouble(poison_policy.playing(self._state.current.trouble))
        self._watch_first_audio()
        await self._skipper.began(outcome.item, skipped)
        await self._announce_start(outcome.item, start_ms)

    async def start_if_idle(self, cursor: str) -> None:
        state = self._state.current
        if state.now_playing is not None or state.voice_channel_id is None:
            return
        item = await self._state.advance(cursor, retire=Retire.DROP)
        if item is not None:
            await self.play(item, 0)

    async def play_or_adopt(self, item: QueueItem) -> None:
        """Continue with the prepared next track when it is `item` (gapless), else start `item`."""
        if self._driver.take_prepared(item.uid):
            matched = self._prepared_match
            if matched is not None and matched.uid == item.uid and item.match is None:
                item = matched
                await self._state.commit(self._state.next(now_playing=item))
            start_ms, skipped = self._skipper.take_prepared(item.uid)
            self._skipper.look_up(item)
            await self._skipper.began(item, skipped)
            await self._announce_start(item, start_ms)
        else:
            await self.play(item, 0)

    async def _announce_start(self, item: QueueItem, position_ms: int) -> None:
        event = self._announcer.event(
            TrackStarted, item=item, position_ms=position_ms, paused=self._state.current.paused
        )
        await self._announcer.publish(event)
        page = await self._queue.page(self.guild_id, 0, 1)
        if page.items:
            self._skipper.look_up(page.items[0], deliver=False)
            await self._streams.prefetch(self.guild_id, page.items[0])
        if self._state.current.loop is LoopMode.OFF:  # a looping track or queue never runs out
            await self._radio.track_started(item, page.total)

    async def end_current(self, item: QueueItem | None, reason: TrackEndReason, *, replaced: bool = False) -> None:
        """Announce the end of `item`; silence it unless a new track replaces it at once."""
        if not replaced and reason is not TrackEndReason.REPLACED:
            await self._driver.stop()
        if item is not None:
            await self._announcer.publish(self._announcer.event(TrackEnded, item=item, reason=reason))

    async def track_done(self, error: str | None, *, broke_off: bool = False) -> None:
        """The playing track ended (`error` when it broke off) or could not play: loop it or move on."""
        state = self._state.current
        finished = state.now_playing
        if finished is None:
            return
        if error is not None and broke_off:
            failure = PlaybackFailure.BROKE_OFF
            await self._announcer.publish(self._announcer.event(TrackFailed, item=finished, failure=failure))
        if error is None and state.loop is LoopMode.TRACK:
            await self._state.commit(self._state.next(position_ms=0))
            await self.play_or_adopt(finished)
            return
        reason = TrackEndReason.FINISHED if error is None else TrackEndReason.FAILED
        # A failed item is not requeued by loop-queue: a queue of broken items would fail round and round.
        retire = self._state.retire_mode() if error is None else Retire.HISTORY
        item = await self._state.advance(state.cursor, retire=retire)
        await self._announcer.publish(self._announcer.event(TrackEnded, item=finished, reason=reason))
        await self.play_or_finish(item, finished)

    async def item_failed(self, failed: ItemFailed) -> None:
        current = self._state.current.now_playing
        if current is not None and current.uid == failed.uid and not self._driver.playing:
            await self.track_done(failed.detail)

    async def play_or_finish(self, item: QueueItem | None, finished: QueueItem | None) -> None:
        """Play `item`, the one after `finished`; with none, the queue is finished unless autoplay adds to it."""
        if item is not None:
            await self.play_or_adopt(item)
            return
        await self._driver.stop()
        if not await self._radio.queue_ran_out(finished):
            await self._announcer.publish(self._announcer.event(QueueFinished))

    async def radio_found(self, found: RelatedFound) -> None:
        """Queue the related tracks autoplay found (if it still wants them) and play them if nothing plays."""
        queued = await self._radio.apply(found)
        if queued:
            await self.start_if_idle(self._state.current.cursor)
        elif queued is False and self._state.current.now_playing is None:
            await self._announcer.publish(self._announcer.event(QueueFinished))

    async def prepare_next(self) -> None:
        """Near the end of a track, open the next one so it follows without a gap."""
        state = self._state.current
        current = state.now_playing
        if current is None or current.track.duration_ms is None or self._driver.prepared_uid or state.paused:
            return
        end_ms = min(current.track.duration_ms, self._skipper.ends_at_ms or current.track.duration_ms)
        remaining_ms = (end_ms - self._state.position()) / state.filters.rate_factor
        if remaining_ms > self._prepare_ahead_ms:
            return
        page = await self._queue.page(self.guild_id, 0, 1)
        following = next_after(
            current, page.items[0] if page.items else None, loop_track=state.loop is LoopMode.TRACK,
            loop_queue=state.loop is LoopMode.QUEUE,
        )  # fmt: skip
        if following is None or following.uid == self._unpreparable:
            return
        outcome = await self._streams.stream_for(self.guild_id, following)
        if outcome.stream is not None and outcome.substitution is None:
            self._prepared_match = outcome.item if outcome.item.match is not None else None
            start_ms = await self._skipper.prepare_start(outcome.item)
            try:
                await self._driver.prepare(following.uid, outcome.stream, self._state.current, start_ms)
            except PlaybackError as exc:  # not gapless then: it is opened (and failed, if it must) when its turn comes
                _log.info("could not prepare the next track: %s", exc, extra=self._extra)
                self._unpreparable = following.uid

    async def failed(
        self, item: QueueItem, failure: PlaybackFailure, detail: str, problem: Problem | None = None
    ) -> None:
        """Announce why `item` cannot play and silence what still plays; the loop then moves on (ItemFailed)."""
        _log.warning("track failed (%s): %s", failure.value, detail, extra=self._extra)
        await self._driver.stop()
        event = self._announcer.event(TrackFailed, item=item, failure=failure, problem=problem)
        await self._announcer.publish(event)
        self._moved_on(ItemFailed(item.uid, detail))

    async def check_overrun(self) -> None:
        """A stream that plays far past its known length is looping (FFmpeg reconnects a server that keeps resetting
        from the first byte): it is failed instead of playing forever."""
        item = self._state.current.now_playing
        duration = item.track.duration_ms if item is not None else None
        position = self._state.position()
        if item is not None and duration and position > duration * 1.1 + _OVERRUN_GRACE_MS:
            await self.failed(item, PlaybackFailure.BROKE_OFF, f"still playing at {position} ms of {duration}")

    async def silence(self) -> None:
        with contextlib.suppress(Exception):
            await self._driver.stop()

    def _watch_first_audio(self) -> None:
        """The track just started: when a /play's command started it, time its first frame from the command."""
        command, playback = self.applying or self.awaiting_audio, self._driver.playback
        self.awaiting_audio = None
        if command is None or command.kind not in FIRST_AUDIO_KINDS or not command.issued_at_ms or playback is None:
            return
        issued_at_ms = command.issued_at_ms

        async def watch() -> None:
            if await playback.first_frame():
                self._metrics.observe_first_audio((now_ms() - issued_at_ms) / 1000)

        self._side_tasks.spawn(watch(), name=f"first-audio-{self.guild_id}")

    async def close(self) -> None:
        await self._side_tasks.aclose()
        await self._skipper.close()
        await self._radio.close()
        await self._driver.close()
