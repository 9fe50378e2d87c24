"""A guild's player: the owner loop that applies commands in order, plays the queue and checkpoints position.

Order of every change: compute the new state, commit it through a fenced script, then act (audio, voice, events).
A rejected commit means another worker owns the guild: the player stops at once without writing anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Final

from shared.command_store import StreamEntry
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
from shared.errors import PlaybackError
from shared.events import (
    PlaybackFailure,
    PlayerLeft,
    PlayerUpdated,
    QueueFinished,
    TrackEnded,
    TrackEndReason,
    TrackFailed,
    TrackStarted,
    TrackSubstituted,
)
from shared.models import LoopMode, PlayerState, QueueItem
from shared.player_store import Retire
from worker.player import poison_policy
from worker.player.config import CommandArrived, Fenced, Halt, Inbox, ItemFailed, TrackDone
from worker.player.core import FIRST_AUDIO_KINDS, PlayerCore
from worker.player.ports import VoiceStatus
from worker.player.track_driver import next_after

_log: Final = logging.getLogger(__name__)
_REJOIN: Final = (VoiceStatus.CLOSED, VoiceStatus.FAILED, VoiceStatus.NEEDS_REJOIN)
_GAVE_UP: Final = (VoiceStatus.FAILED, VoiceStatus.NEEDS_REJOIN)


class GuildPlayer(PlayerCore):
    """Owns one guild while its worker holds the lease. `run()` returns when the guild is released or lost."""

    async def run(self) -> None:
        try:
            await self._resume()
            await self._loop()
        except Fenced:
            _log.warning("fenced out: another worker owns the guild now", extra=self._extra)
            await self._silence()
        except Exception:
            await self._note_crash()
            raise
        finally:
            await self._side_tasks.aclose()
            await self._driver.close()
            if not self._voice_closed:
                # fenced out or crashed: drop the voice connection (without leaving: that is the new owner's call)
                with contextlib.suppress(Exception):
                    await self._voice.disconnect(leave=False)

    async def _loop(self) -> None:
        tick = self._config.checkpoint_ms / 1000
        while not self.released:
            try:
                message: Inbox | None = await asyncio.wait_for(self._inbox.get(), timeout=tick)
            except TimeoutError:
                message = None
            await self._await_lease()
            if isinstance(message, Halt):
                await self._on_halt(message)
                return
            if isinstance(message, CommandArrived):
                await self._apply(message.entry)
            elif isinstance(message, TrackDone) and message.generation == self._driver.generation:
                self._driver.ended()
                await self._on_track_done(message.error, broke_off=True)
            elif isinstance(message, ItemFailed):
                await self._on_item_failed(message)
            await self._housekeeping()

    # ---- commands ------------------------------------------------------------------------------------------

    async def _apply(self, entry: StreamEntry) -> None:
        command = entry.command
        if command is None or command.issued_at_ms < self._ignore_before_ms:
            await self._commit(self._next_state(cursor=entry.entry_id))
            return
        if command.text_channel_id is not None and command.text_channel_id != self._state.text_channel_id:
            self._state = self._state.model_copy(update={"text_channel_id": command.text_channel_id})
        self._metrics.observe_command(command.kind, command.issued_at_ms)
        self._applying = command
        if command.kind in FIRST_AUDIO_KINDS and self._state.now_playing is None:
            self._awaiting_audio = command
        try:
            await self._dispatch(command, entry.entry_id)
        finally:
            self._applying = None

    async def _dispatch(self, command: Command, cursor: str) -> None:  # noqa: C901, PLR0912 - one branch per kind
        match command:
            case JoinCommand():
                await self._join(command.voice_channel_id, cursor)
            case QueueChangedCommand():
                await self._commit(self._next_state(cursor=cursor))
                await self._start_if_idle(cursor)
            case PlayNowCommand():
                await self._jump(cursor, uid=command.uid)
            case SkipCommand():
                await self._skip(command.count, cursor)
            case PreviousCommand():
                await self._jump(cursor, uid=None)
            case PauseCommand() | ResumeCommand():
                await self._set_paused(isinstance(command, PauseCommand), cursor)
            case StopCommand():
                await self._stop(cursor)
            case LeaveCommand():
                await self._leave(cursor, "asked to leave")
            case SeekCommand():
                await self._seek(command.target_ms(self._position()), cursor)
            case VolumeCommand():
                await self._restyle(self._next_state(cursor=cursor, volume=command.volume))
            case FiltersCommand():
                await self._restyle(self._next_state(cursor=cursor, filters=command.filters))
            case LoopCommand():
                await self._commit(self._next_state(cursor=cursor, loop=command.mode))
                self._driver.clear_prepared()
                await self._publish(self._event(PlayerUpdated))
            case VoiceUpdateCommand():
                await self._commit(self._next_state(cursor=cursor))
            case ListenersCommand():
                await self._commit(self._next_state(cursor=cursor))
                self._alone_since = time.monotonic() if command.count == 0 else None

    async def _join(self, channel_id: int, cursor: str) -> None:
        moved = channel_id != self._state.voice_channel_id
        await self._commit(self._next_state(cursor=cursor, voice_channel_id=channel_id))
        self._alone_since = None
        if moved or self._voice.status() in _REJOIN:
            await self._voice.connect(channel_id)
        if self._state.now_playing is None:
            await self._start_if_idle(cursor)
        elif not self._driver.playing:
            await self._play(self._state.now_playing, self._state.position_ms)

    async def _start_if_idle(self, cursor: str) -> None:
        if self._state.now_playing is not None or self._state.voice_channel_id is None:
            return
        item = await self._advance(cursor, retire=Retire.DROP)
        if item is not None:
            await self._play(item, 0)

    async def _jump(self, cursor: str, *, uid: str | None) -> None:
        """Play queued item `uid` now, or with None the newest history item (previous)."""
        template = self._template(cursor)
        current = template.model_copy(update={"now_playing": self._state.now_playing})
        fence = self._lease.fence
        players = self._stores.players
        if uid is None:
            transition = await players.previous(self.guild_id, fence, current)
        else:
            transition = await players.play_now(self.guild_id, fence, current, uid)
        if transition.item is None and not transition.fenced_out:
            await self._commit(self._next_state(cursor=cursor))
            return
        previous = self._state.now_playing
        item = await self._after(transition, template)
        await self._end_current(previous, TrackEndReason.REPLACED)
        if item is not None:
            await self._play_or_adopt(item)

    async def _skip(self, count: int, cursor: str) -> None:
        previous = self._state.now_playing
        if previous is None:
            await self._commit(self._next_state(cursor=cursor))
            return
        item = await self._advance(cursor, retire=self._retire_mode(), skip_extra=count - 1)
        await self._end_current(previous, TrackEndReason.SKIPPED, replaced=item is not None)
        await self._play_or_finish(item)

    async def _set_paused(self, paused: bool, cursor: str) -> None:
        await self._commit(self._next_state(cursor=cursor, paused=paused))
        if paused:
            self._driver.pause()
        else:
            self._driver.resume()
        await self._publish(self._event(PlayerUpdated))

    async def _stop(self, cursor: str) -> None:
        previous = self._state.now_playing
        state = self._next_state(cursor=cursor, now_playing=None, position_ms=0, paused=False, trouble=None)
        if not await self._stores.players.stop(self.guild_id, self._lease.fence, state):
            raise Fenced
        self._state = state
        await self._end_current(previous, TrackEndReason.STOPPED)

    async def _seek(self, target_ms: int, cursor: str) -> None:
        item = self._state.now_playing
        if item is not None and item.track.duration_ms is not None:
            target_ms = min(target_ms, max(0, item.track.duration_ms - 1000))
        await self._commit(self._next_state(cursor=cursor, position_ms=target_ms if item else 0))
        if item is not None:
            try:
                await self._driver.seek(item.uid, target_ms, self._state)
            except PlaybackError as exc:  # the stream no longer opens (it changed its answer, or it is gone)
                await self._failed(item, PlaybackFailure.BROKE_OFF, str(exc))
                return
            await self._publish(self._event(PlayerUpdated))

    async def _restyle(self, state: PlayerState) -> None:
        """Commit a volume or filter change, then swap the pipeline at the current position (no gap)."""
        await self._commit(state)
        self._driver.clear_prepared()
        try:
            await self._driver.restyle(self._state)
        except PlaybackError as exc:  # the old pipeline plays on: the change applies from the next track
            _log.warning("could not restyle the playing track: %s", exc, extra=self._extra)
        await self._publish(self._event(PlayerUpdated))

    # ---- playback ------------------------------------------------------------------------------------------

    async def _resume(self) -> None:
        """After a takeover or restart: reconnect voice and continue the stored track at the stored position."""
        if self._state.voice_channel_id is None:
            return
        self._metrics.took_over("handoff" if self._lease.handed_over else "lost")
        await self._voice.connect(self._state.voice_channel_id)
        item = self._state.now_playing
        if item is not None:
            skip = poison_policy.verdict(
                self._state.trouble, item, inherited_fence=self._inherited_fence, fence=self._lease.fence,
                max_crashes=self._config.max_crashes,
            )  # fmt: skip
            if skip is not None:
                await self._failed(item, skip, f"skipped after a restart or takeover: {skip.value}")
            else:
                await self._play(item, self._state.position_ms)
        else:
            await self._start_if_idle(self._state.cursor)

    async def _play(self, item: QueueItem, position_ms: int) -> None:
        """Open `item` and play it; one that cannot be opened is failed (announced, then skipped in order)."""
        await self._set_trouble(poison_policy.opening(self._state.trouble, item))
        outcome = await self._streams.stream_for(self.guild_id, item)
        if not self._lease.valid():
            raise Fenced
        if outcome.stream is None:
            await self._failed(item, PlaybackFailure.UNAVAILABLE, outcome.error or "could not play")
            return
        if outcome.item != item:
            await self._commit(self._next_state(now_playing=outcome.item))
            reason = outcome.substituted_reason or "the link is broken"
            substituted = self._event(TrackSubstituted, item=outcome.item, broken_url=item.track.url, reason=reason)
            await self._publish(substituted)
        try:
            await self._driver.start(outcome.item.uid, outcome.stream, position_ms, self._state)
        except PlaybackError as exc:
            await self._failed(outcome.item, poison_policy.failure_of(exc), str(exc))
            return
        await self._set_trouble(poison_policy.playing(self._state.trouble))
        self._watch_first_audio()
        await self._announce_start(outcome.item, position_ms)

    async def _on_item_failed(self, failed: ItemFailed) -> None:
        current = self._state.now_playing
        if current is not None and current.uid == failed.uid and not self._driver.playing:
            await self._on_track_done(failed.detail)

    async def _play_or_adopt(self, item: QueueItem) -> None:
        """Continue with the prepared next track when it is `item` (gapless), else start `item`."""
        if self._driver.take_prepared(item.uid):
            await self._announce_start(item, 0)
        else:
            await self._play(item, 0)

    async def _announce_start(self, item: QueueItem, position_ms: int) -> None:
        await self._publish(self._event(TrackStarted, item=item, position_ms=position_ms, paused=self._state.paused))
        page = await self._stores.queue.page(self.guild_id, 0, 1)
        if page.items:
            await self._streams.prefetch(self.guild_id, page.items[0])

    async def _end_current(self, item: QueueItem | None, reason: TrackEndReason, *, replaced: bool = False) -> None:
        """Announce the end of `item`; silence it unless a new track replaces it at once."""
        if not replaced and reason is not TrackEndReason.REPLACED:
            await self._driver.stop()
        if item is not None:
            await self._publish(self._event(TrackEnded, item=item, reason=reason))

    async def _on_track_done(self, error: str | None, *, broke_off: bool = False) -> None:
        finished = self._state.now_playing
        if finished is None:
            return
        if error is not None and broke_off:
            await self._publish(self._event(TrackFailed, item=finished, failure=PlaybackFailure.BROKE_OFF, error=error))
        if error is None and self._state.loop is LoopMode.TRACK:
            await self._commit(self._next_state(position_ms=0))
            await self._play_or_adopt(finished)
            return
        reason = TrackEndReason.FINISHED if error is None else TrackEndReason.FAILED
        # A failed item is not requeued by loop-queue: a queue of broken items would fail round and round.
        item = await self._advance(self._state.cursor, retire=self._retire_mode() if error is None else Retire.HISTORY)
        await self._publish(self._event(TrackEnded, item=finished, reason=reason))
        await self._play_or_finish(item)

    async def _play_or_finish(self, item: QueueItem | None) -> None:
        if item is not None:
            await self._play_or_adopt(item)
            return
        await self._driver.stop()
        await self._publish(self._event(QueueFinished))

    async def _prepare_next(self) -> None:
        """Near the end of a track, open the next one so it follows without a gap."""
        current = self._state.now_playing
        if current is None or current.track.duration_ms is None or self._driver.prepared_uid or self._state.paused:
            return
        remaining_ms = (current.track.duration_ms - self._position()) / self._state.filters.rate_factor
        if remaining_ms > self._config.prepare_ahead_ms:
            return
        page = await self._stores.queue.page(self.guild_id, 0, 1)
        loop = self._state.loop
        following = next_after(
            current, page.items[0] if page.items else None, loop_track=loop is LoopMode.TRACK,
            loop_queue=loop is LoopMode.QUEUE,
        )  # fmt: skip
        if following is None or following.uid == self._unpreparable:
            return
        outcome = await self._streams.stream_for(self.guild_id, following)
        if outcome.stream is not None and outcome.item == following:
            try:
                await self._driver.prepare(following.uid, outcome.stream, self._state)
            except PlaybackError as exc:  # not gapless then: it is opened (and failed, if it must) when its turn comes
                _log.info("could not prepare the next track: %s", exc, extra=self._extra)
                self._unpreparable = following.uid

    # ---- housekeeping, leaving, halting -------------------------------------------------------------------

    async def _housekeeping(self) -> None:
        now = time.monotonic()
        await self._watch_voice(now)
        if self._driver.playing and now - self._last_checkpoint >= self._config.checkpoint_ms / 1000:
            # a track that plays is no longer being opened (the mark must not outlive its opening)
            await self._commit(self._next_state(trouble=poison_policy.playing(self._state.trouble)))
        if self._driver.playing:
            await self._check_overrun()
        if self._driver.playing:
            await self._prepare_next()
        if now - self._last_settings >= self._config.settings_refresh_s:
            self._settings = await self._stores.settings.get(self.guild_id)
            self._last_settings = now
        await self._check_idle(now)

    async def _watch_voice(self, now: float) -> None:
        """A voice connection that gave up is asked to rejoin (with backoff); playback holds meanwhile."""
        channel_id = self._state.voice_channel_id
        status = self._voice.status()
        if status is VoiceStatus.CONNECTED:
            self._rejoiner.connected()
        elif channel_id is not None and status in _GAVE_UP and self._rejoiner.due(now):
            _log.info("voice %s: asking to rejoin channel %d", status.value, channel_id, extra=self._extra)
            await self._voice.connect(channel_id)

    async def _check_idle(self, now: float) -> None:
        if self._state.now_playing is None and self._state.voice_channel_id is not None:
            if await self._stores.queue.length(self.guild_id):
                await self._start_if_idle(self._state.cursor)
                return
            self._idle_since = self._idle_since or now
        else:
            self._idle_since = None
        if self._settings.always_on or self._state.voice_channel_id is None:
            return
        limit = self._settings.idle_timeout_s
        if self._idle_since is not None and now - self._idle_since >= limit:
            await self._leave(self._state.cursor, "nothing left to play")
        elif self._alone_since is not None and now - self._alone_since >= limit:
            await self._leave(self._state.cursor, "everybody left the voice channel")

    async def _leave(self, cursor: str, reason: str) -> None:
        await self._commit(self._next_state(cursor=cursor, voice_channel_id=None, paused=False))
        await self._silence()
        self._voice_closed = True
        await self._voice.disconnect(leave=True)
        await self._stores.active.unmark(self.guild_id)
        if await self._summoned_after(cursor):
            await self._stores.active.mark(self.guild_id)  # a /play raced this leave: the next owner carries it out
        await self._publish(self._event(PlayerLeft, reason=reason))
        self.released = True

    async def _summoned_after(self, cursor: str) -> bool:
        """Whether a Join arrived after ``cursor``. The gateway appends a /play's Join before it marks the guild
        active, so a /play either shows here or marks the guild after the unmark: none is lost to the leave."""
        while entries := await self._stores.commands.read_after(self.guild_id, cursor):
            if any(isinstance(entry.command, JoinCommand) for entry in entries):
                return True
            cursor = entries[-1].entry_id
        return False

    async def _on_halt(self, halt: Halt) -> None:
        if halt.handoff and self._lease.valid():
            await self._commit(self._next_state(trouble=poison_policy.handed_off(self._state.trouble)))
        await self._silence()
        self._voice_closed = True
        await self._voice.disconnect(leave=False)
