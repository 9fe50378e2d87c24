"""A guild's player: the owner loop that applies commands in order, plays the queue and checkpoints position.

Order of every change: compute the new state, commit it through a fenced script, then act (audio, voice, events).
A rejected commit means another worker owns the guild: the player stops at once without writing anything. The
player owns the loop, the commands, the lease check and leaving; its collaborators own the committed state
(`FencedState`), the flow of tracks (`Conductor`, over the `TrackDriver`) and the events (`Announcer`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Final

from shared.clock import now_ms
from shared.command_store import StreamEntry
from shared.commands import (
    Command,
    EqualizerCommand,
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
from shared.errors import CorruptDataError, PlaybackError
from shared.events import LeaveReason, PlaybackFailure, PlayerLeft, PlayerUpdated, TrackEndReason
from shared.models import GuildSettings, PlayerState
from shared.observability import WorkerMetrics
from shared.tasks import TaskOwner
from worker.player import poison_policy
from worker.player.announcer import Announcer
from worker.player.conductor import FIRST_AUDIO_KINDS, Conductor
from worker.player.config import PlayerConfig, PlayerStores
from worker.player.inbox import (
    CheckpointRefused,
    CommandArrived,
    Halt,
    Inbox,
    ItemFailed,
    LeaseDoubt,
    RelatedFound,
    SegmentsArrived,
    SplicePassed,
    TrackDone,
)
from worker.player.ports import (
    AudioOutput,
    HoldReason,
    LeaseView,
    RelatedTracks,
    SegmentSource,
    StreamSource,
    VoicePort,
)
from worker.player.presence import Presence, Rejoiner
from worker.player.radio import Radio
from worker.player.segments import SegmentSkipper
from worker.player.state import Fenced, FencedState
from worker.player.track_driver import TrackDriver
from worker.voice.connection import VoiceStatus

_log: Final = logging.getLogger(__name__)
STALE_COMMAND_MS: Final = 60_000
_LEASE_POLL_S: Final = 0.05
_REJOIN: Final = (VoiceStatus.CLOSED, VoiceStatus.FAILED, VoiceStatus.NEEDS_REJOIN)


class GuildPlayer:
    """Owns one guild while its worker holds the lease. `run()` returns when the guild is released or lost."""

    def __init__(  # noqa: PLR0913 - a composition point: every collaborator is injected
        self,
        guild_id: int,
        *,
        lease: LeaseView,
        stores: PlayerStores,
        audio: AudioOutput,
        voice: VoicePort,
        streams: StreamSource,
        related: RelatedTracks,
        config: PlayerConfig,
        metrics: WorkerMetrics | None = None,
        segments: SegmentSource | None = None,
    ) -> None:
        """`metrics` are the worker's (a player built without them records into a registry of its own);
        `segments` are SponsorBlock's (None: nothing is skipped)."""
        self.guild_id = guild_id
        self._metrics = metrics or WorkerMetrics()
        self._lease = lease
        self._stores = stores
        self._voice = voice
        self._config = config
        self._inbox: asyncio.Queue[Inbox] = asyncio.Queue()
        self._driver = TrackDriver(
            guild_id, audio=audio, voice=voice, on_done=self._inbox.put_nowait,
            voice_timeout_s=config.voice_connect_timeout_s,
        )  # fmt: skip
        self._state = FencedState(
            guild_id, lease, stores.players, self._driver.position_ms, checkpoints=stores.checkpoints,
            refused=lambda: self._inbox.put_nowait(CheckpointRefused()),
        )  # fmt: skip
        self._announcer = Announcer(guild_id, stores.events, lambda: self._state.current.text_channel_id)
        self._skipper = SegmentSkipper(
            guild_id, state=self._state, driver=self._driver, source=segments, announcer=self._announcer,
            arrived=self._inbox.put_nowait, categories=lambda: self._settings.sponsorblock,
        )  # fmt: skip
        self._settings = GuildSettings()
        self._last_settings = 0.0
        self._presence = Presence()
        self._radio = Radio(
            guild_id, state=self._state, stores=stores, related=related, presence=self._presence,
            found=self._inbox.put_nowait, batch=config.autoplay_batch,
        )  # fmt: skip
        self._conductor = Conductor(
            guild_id, state=self._state, driver=self._driver, skipper=self._skipper, streams=streams,
            queue=stores.queue, announcer=self._announcer, moved_on=self._inbox.put_nowait, metrics=self._metrics,
            prepare_ahead_ms=config.prepare_ahead_ms, radio=self._radio,
        )  # fmt: skip
        self._rejoiner = Rejoiner(guild_id, config.rejoin_backoff_s)
        self.released = False
        self._side_tasks = TaskOwner()
        self._ignore_before_ms = 0
        self._voice_closed = False
        self._inherited_fence = 0
        """The fence of the owner that wrote the state this player started from."""
        self._extra = {"guild_id": guild_id}

    @property
    def cursor(self) -> str:
        return self._state.current.cursor

    def deliver(self, entries: list[StreamEntry]) -> None:
        for entry in entries:
            self._inbox.put_nowait(CommandArrived(entry))
            if isinstance(entry.command, VoiceUpdateCommand) and self._lease.valid():
                # Credentials must reach the voice connection even while the loop waits for that connection;
                # feeding them is idempotent, so doing it ahead of the (ordered) cursor commit is safe. Never once
                # the lease may have lapsed: they are the new owner's, and using them would take its voice over.
                self._side_tasks.spawn(self._voice.refresh(), name=f"voice-refresh-{self.guild_id}")

    def halt(self, *, handoff: bool) -> None:
        self._inbox.put_nowait(Halt(handoff=handoff))

    def lease_in_doubt(self) -> None:
        """The fenced sink refused a frame: wake the loop, which holds the audio until the lease is known."""
        self._inbox.put_nowait(LeaseDoubt())

    async def prepare(self) -> None:
        """Load the stored state (a fresh one if missing or corrupt) before commands are delivered."""
        try:
            stored = await self._stores.players.load(self.guild_id)
        except CorruptDataError as exc:
            _log.error("resetting corrupt player state: %s", exc, extra=self._extra)
            stored = None
        self._settings = await self._stores.settings.get(self.guild_id)
        if stored is None:
            # A guild without state reads its whole (capped) stream, but commands from before this player's time
            # (a lost or reset state) are only skipped over, never replayed.
            self._ignore_before_ms = now_ms() - STALE_COMMAND_MS
            stored = PlayerState(volume=self._settings.default_volume)
        self._inherited_fence = stored.fence
        self._state.current = stored.model_copy(update={"fence": self._lease.fence})
        self._last_settings = time.monotonic()

    async def run(self) -> None:
        try:
            await self._resume()
            await self._loop()
        except Fenced:
            _log.warning("fenced out: another worker owns the guild now", extra=self._extra)
            await self._conductor.silence()
        except Exception:
            await self._note_crash()
            raise
        finally:
            await self._side_tasks.aclose()
            await self._state.close()
            await self._conductor.close()
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
            self._state.check()
            if isinstance(message, Halt):
                await self._on_halt(message)
                return
            if isinstance(message, CommandArrived):
                await self._apply(message.entry)
            elif isinstance(message, TrackDone) and message.generation == self._driver.generation:
                self._driver.ended()
                await self._conductor.track_done(message.error, broke_off=True)
            elif isinstance(message, SplicePassed):
                await self._skipper.passed(message)
            elif isinstance(message, SegmentsArrived):
                await self._skipper.arrived(message)
            elif isinstance(message, ItemFailed):
                await self._conductor.item_failed(message)
            elif isinstance(message, RelatedFound):
                await self._conductor.radio_found(message)
            await self._housekeeping()

    async def _await_lease(self) -> None:
        """A lease not renewed in time (a stalled loop, a slow Redis) holds the audio until the supervisor knows:
        renewed (play on, nothing lost) or lost (fenced out). An owner never acts while the lease is in doubt."""
        if self._lease.valid():
            self._driver.hold(HoldReason.LEASE, False)
            return
        _log.warning("lease not renewed in time: holding playback", extra=self._extra)
        self._driver.hold(HoldReason.LEASE, True)
        deadline = time.monotonic() + self._config.lease_doubt_s
        while not self._lease.valid():
            if self._lease.lost or time.monotonic() > deadline:
                raise Fenced
            await asyncio.sleep(_LEASE_POLL_S)
        _log.info("lease renewed: playing on", extra=self._extra)
        self._driver.hold(HoldReason.LEASE, False)

    # ---- commands ------------------------------------------------------------------------------------------

    async def _apply(self, entry: StreamEntry) -> None:
        command = entry.command
        if command is None or command.issued_at_ms < self._ignore_before_ms:
            await self._state.commit(self._state.next(cursor=entry.entry_id))
            return
        if command.text_channel_id is not None and command.text_channel_id != self._state.current.text_channel_id:
            self._state.amend(text_channel_id=command.text_channel_id)
        self._metrics.observe_command(command.kind, command.issued_at_ms)
        self._conductor.applying = command
        if command.kind in FIRST_AUDIO_KINDS and self._state.current.now_playing is None:
            self._conductor.awaiting_audio = command
        try:
            await self._dispatch(command, entry.entry_id)
        finally:
            self._conductor.applying = None

    async def _dispatch(self, command: Command, cursor: str) -> None:  # noqa: C901, PLR0912 - one branch per kind
        state, conductor = self._state, self._conductor
        match command:
            case JoinCommand():
                await self._join(command.voice_channel_id, cursor)
            case QueueChangedCommand():
                await state.commit(state.next(cursor=cursor))
                await conductor.start_if_idle(cursor)
            case PlayNowCommand():
                await self._jump(cursor, uid=command.uid)
            case SkipCommand():
                await self._skip(command, cursor)
            case PreviousCommand():
                await self._jump(cursor, uid=None)
            case PauseCommand() | ResumeCommand():
                await self._set_paused(isinstance(command, PauseCommand), cursor)
            case StopCommand():
                previous = state.current.now_playing
                self._radio.stop()
                await state.stop(cursor)
                await conductor.end_current(previous, TrackEndReason.STOPPED)
            case LeaveCommand():
                await self._leave(cursor, LeaveReason.ASKED)
            case SeekCommand():
                await self._seek(command.target_ms(state.position()), cursor)
            case VolumeCommand():
                await self._restyle(state.next(cursor=cursor, volume=command.volume))
            case FiltersCommand():
                await self._restyle(state.next(cursor=cursor, filters=command.filters))
            case EqualizerCommand():
                await self._restyle(state.next(cursor=cursor, equalizer=command.applied_to(state.current.equalizer)))
            case LoopCommand():
                await state.commit(state.next(cursor=cursor, loop=command.mode))
                self._driver.clear_prepared()
                await self._announcer.publish(self._announcer.event(PlayerUpdated))
            case VoiceUpdateCommand():
                await state.commit(state.next(cursor=cursor))
            case ListenersCommand():
                await state.commit(state.next(cursor=cursor))
                self._presence.listeners(command.count, time.monotonic())

    async def _join(self, channel_id: int, cursor: str) -> None:
        moved = channel_id != self._state.current.voice_channel_id
        await self._state.commit(self._state.next(cursor=cursor, voice_channel_id=channel_id))
        self._presence.joined()
        if moved or self._voice.status() in _REJOIN:
            await self._voice.connect(channel_id)
        now_playing = self._state.current.now_playing
        if now_playing is None:
            await self._conductor.start_if_idle(cursor)
        elif not self._driver.playing:
            await self._conductor.play(now_playing, self._state.current.position_ms)

    async def _jump(self, cursor: str, *, uid: str | None) -> None:
        """Play queued item `uid` now, or with None the newest history item (previous)."""
        previous = self._state.current.now_playing
        changed, item = await self._state.jump(cursor, uid=uid)
        if not changed:
            return
        await self._conductor.end_current(previous, TrackEndReason.REPLACED)
        if item is not None:
            await self._conductor.play_or_adopt(item)

    async def _skip(self, command: SkipCommand, cursor: str) -> None:
        previous = self._state.current.now_playing
        if previous is None or command.uid not in (None, previous.uid):
            await self._state.commit(self._state.next(cursor=cursor))
            return
        item = await self._state.advance(cursor, retire=self._state.retire_mode(), skip_extra=command.count - 1)
        await self._conductor.end_current(previous, TrackEndReason.SKIPPED, replaced=item is not None)
        await self._conductor.play_or_finish(item, previous)

    async def _set_paused(self, paused: bool, cursor: str) -> None:
        if paused:
            # Silence first, then store where it stopped: committed first, a frame sent while the write is in
            # flight would move the position on, and the next checkpoint would store the paused track 20 ms later.
            self._driver.pause()
            await self._state.commit(self._state.next(cursor=cursor, paused=True))
        else:
            await self._state.commit(self._state.next(cursor=cursor, paused=False))
            self._driver.resume()
        await self._announcer.publish(self._announcer.event(PlayerUpdated))

    async def _seek(self, target_ms: int, cursor: str) -> None:
        item = self._state.current.now_playing
        if item is not None and item.track.duration_ms is not None:
            target_ms = min(target_ms, max(0, item.track.duration_ms - 1000))
        await self._state.commit(self._state.next(cursor=cursor, position_ms=target_ms if item else 0))
        if item is not None:
            try:
                await self._driver.seek(item.uid, target_ms, self._state.current)
            except PlaybackError as exc:  # the stream no longer opens (it changed its answer, or it is gone)
                await self._conductor.failed(item, PlaybackFailure.BROKE_OFF, str(exc))
                return
            await self._skipper.began(item)
            await self._announcer.publish(self._announcer.event(PlayerUpdated))

    async def _restyle(self, state: PlayerState) -> None:
        """Commit a volume, filter or equalizer change, then swap the pipeline at the current position (no gap)."""
        await self._state.commit(state)
        self._driver.clear_prepared()
        try:
            await self._driver.restyle(self._state.current)
        except PlaybackError as exc:  # the old pipeline plays on: the change applies from the next track
            _log.warning("could not restyle the playing track: %s", exc, extra=self._extra)
        await self._skipper.arm()  # the cut's pipeline is opened anew with the new style
        await self._announcer.publish(self._announcer.event(PlayerUpdated))

    # ---- resuming, housekeeping, leaving, halting ----------------------------------------------------------

    async def _resume(self) -> None:
        """After a takeover or restart: reconnect voice and continue the stored track at the stored position."""
        state = self._state.current
        if state.voice_channel_id is None:
            return
        self._metrics.took_over("handoff" if self._lease.handed_over else "lost")
        await self._voice.connect(state.voice_channel_id)
        item = state.now_playing
        if item is None:
            await self._conductor.start_if_idle(state.cursor)
            return
        skip = poison_policy.verdict(
            state.trouble, item, inherited_fence=self._inherited_fence, fence=self._lease.fence,
            max_crashes=self._config.max_crashes,
        )  # fmt: skip
        if skip is not None:
            await self._conductor.failed(item, skip, f"skipped after a restart or takeover: {skip.value}")
        else:
            await self._conductor.play(item, state.position_ms)

    async def _note_crash(self) -> None:
        """Count a crash against the now-playing item (see poison_policy); the supervisor restarts the player."""
        item = self._state.current.now_playing
        if item is not None and self._lease.valid():
            with contextlib.suppress(Exception):
                await self._state.set_trouble(poison_policy.crashed(self._state.current.trouble, item))

    async def _housekeeping(self) -> None:
        now = time.monotonic()
        await self._rejoiner.watch(self._voice, self._state.current.voice_channel_id, now)
        if self._driver.playing and now - self._state.last_commit >= self._config.checkpoint_ms / 1000:
            # a track that plays is no longer being opened (the mark must not outlive its opening)
            state = self._state.next(trouble=poison_policy.playing(self._state.current.trouble))
            await self._state.checkpoint(state, self._driver.position_probe())
        if self._driver.playing:
            await self._conductor.check_overrun()
        if self._driver.playing:
            await self._conductor.prepare_next()
        if now - self._last_settings >= self._config.settings_refresh_s:
            skipping = self._settings.sponsorblock
            self._settings = await self._stores.settings.get(self.guild_id)
            self._last_settings = now
            if self._settings.sponsorblock != skipping:
                await self._skipper.arm()
        await self._check_idle(now)

    async def _check_idle(self, now: float) -> None:
        """Idle time counts towards leaving. The queue is not watched here: whatever queues items appends a command
        (QueueChanged from the resolve job, Join, PlayNow) that starts an idle player in its turn."""
        state = self._state.current
        in_voice = state.voice_channel_id is not None
        self._presence.idle(state.now_playing is None and in_voice, now)
        reason = self._presence.leave_reason(self._settings, in_voice=in_voice, now=now)
        if reason is not None:
            await self._leave(state.cursor, reason)

    async def _leave(self, cursor: str, reason: LeaveReason) -> None:
        self._radio.stop()
        await self._state.commit(self._state.next(cursor=cursor, voice_channel_id=None, paused=False))
        await self._conductor.silence()
        self._voice_closed = True
        await self._voice.disconnect(leave=True)
        await self._stores.active.unmark(self.guild_id)
        if await self._summoned_after(cursor):
            await self._stores.active.mark(self.guild_id)  # a /play raced this leave: the next owner carries it out
        await self._announcer.publish(self._announcer.event(PlayerLeft, reason=reason))
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
            await self._state.commit(self._state.next(trouble=poison_policy.handed_off(self._state.current.trouble)))
        await self._conductor.silence()
        self._voice_closed = True
        await self._voice.disconnect(leave=False)
