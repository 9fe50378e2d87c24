"""The player's core: its state and collaborators, fenced commits, the lease check and events.

`GuildPlayer` (worker/player/guild_player.py) builds the owner loop, the commands and playback on these primitives.
Order of every change: compute the new state, commit it through a fenced script, then act (audio, voice, events).
A rejected commit means another worker owns the guild: the player stops at once without writing anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any, Final

from redis.exceptions import RedisError

from shared.clock import now_ms
from shared.command_store import StreamEntry
from shared.commands import Command, VoiceUpdateCommand
from shared.errors import CorruptDataError
from shared.events import Event, EventBase, PlaybackFailure, TrackFailed
from shared.models import GuildSettings, ItemTrouble, LoopMode, PlayerState, QueueItem
from shared.observability import WorkerMetrics
from shared.player_store import Retire, Transition
from shared.tasks import TaskOwner
from worker.player import poison_policy
from worker.player.config import (
    CommandArrived,
    Fenced,
    Halt,
    Inbox,
    ItemFailed,
    LeaseDoubt,
    PlayerConfig,
    PlayerStores,
    Rejoiner,
)
from worker.player.ports import AudioOutput, HoldReason, LeaseView, StreamSource, VoicePort
from worker.player.track_driver import TrackDriver

_log: Final = logging.getLogger(__name__)
STALE_COMMAND_MS: Final = 60_000
_LEASE_POLL_S: Final = 0.05
FIRST_AUDIO_KINDS: Final = frozenset({"join", "queue_changed", "play_now"})
"""The commands a /play (or a search pick) sends: time to first audio is measured from them."""
_OVERRUN_GRACE_MS: Final = 10_000


class PlayerCore:
    """State, collaborators and the primitives every part of the player uses; see `GuildPlayer`."""

    def __init__(  # noqa: PLR0913 - a composition point: every collaborator is injected
        self,
        guild_id: int,
        *,
        lease: LeaseView,
        stores: PlayerStores,
        audio: AudioOutput,
        voice: VoicePort,
        streams: StreamSource,
        config: PlayerConfig,
        metrics: WorkerMetrics | None = None,
    ) -> None:
        """`metrics` are the worker's (a player built without them records into a registry of its own)."""
        self.guild_id = guild_id
        self._metrics = metrics or WorkerMetrics()
        self._applying: Command | None = None
        """The command being applied, while it is."""
        self._awaiting_audio: Command | None = None
        """The last /play command that found the player idle: the track that starts next (from it, or from the
        queue it filled) times its first audio from it."""
        self._lease = lease
        self._stores = stores
        self._voice = voice
        self._streams = streams
        self._config = config
        self._inbox: asyncio.Queue[Inbox] = asyncio.Queue()
        self._driver = TrackDriver(
            guild_id, audio=audio, voice=voice, on_done=self._inbox.put_nowait,
            voice_timeout_s=config.voice_connect_timeout_s,
        )  # fmt: skip
        self._state = PlayerState()
        self._settings = GuildSettings()
        self._last_checkpoint = 0.0
        self._last_settings = 0.0
        self._idle_since: float | None = None
        self._alone_since: float | None = None
        self.released = False
        self._side_tasks = TaskOwner()
        self._ignore_before_ms = 0
        self._voice_closed = False
        self._unpreparable: str | None = None
        """The uid of a next track that could not be opened ahead: not tried again every tick."""
        self._inherited_fence = 0
        """The fence of the owner that wrote the state this player started from."""
        self._rejoiner = Rejoiner(config.rejoin_backoff_s)
        self._extra = {"guild_id": guild_id}

    @property
    def cursor(self) -> str:
        return self._state.cursor

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
        self._state = stored.model_copy(update={"fence": self._lease.fence})
        self._last_settings = time.monotonic()

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

    def _position(self) -> int:
        return self._driver.position_ms(self._state.position_ms)

    def _next_state(self, **changes: Any) -> PlayerState:
        base = {"position_ms": self._position(), "fence": self._lease.fence, "updated_at_ms": now_ms()}
        return self._state.model_copy(update={**base, **changes})

    async def _commit(self, state: PlayerState) -> None:
        if not await self._stores.players.save(self.guild_id, self._lease.fence, state):
            raise Fenced
        self._state = state
        self._last_checkpoint = time.monotonic()

    async def _set_trouble(self, trouble: ItemTrouble | None) -> None:
        """Record what went wrong with the now-playing item (nothing else changes: not even the position)."""
        if trouble != self._state.trouble:
            update = {"trouble": trouble, "fence": self._lease.fence, "updated_at_ms": now_ms()}
            await self._commit(self._state.model_copy(update=update))

    def _template(self, cursor: str) -> PlayerState:
        """The state after a transition, around whatever item the transition makes now_playing."""
        return self._next_state(cursor=cursor, position_ms=0, paused=False, trouble=None)

    async def _after(self, transition: Transition, template: PlayerState) -> QueueItem | None:
        if transition.fenced_out:
            raise Fenced
        self._state = template.model_copy(update={"now_playing": transition.item})
        self._last_checkpoint = time.monotonic()
        return transition.item

    def _retire_mode(self) -> Retire:
        return Retire.REQUEUE if self._state.loop is LoopMode.QUEUE else Retire.HISTORY

    async def _advance(self, cursor: str, *, retire: Retire, skip_extra: int = 0) -> QueueItem | None:
        template = self._template(cursor)
        current = template.model_copy(update={"now_playing": self._state.now_playing})
        players = self._stores.players
        transition = await players.advance(
            self.guild_id, self._lease.fence, current, retire=retire, skip_extra=skip_extra
        )
        return await self._after(transition, template)

    def _watch_first_audio(self) -> None:
        """The track just started: when a /play's command started it, time its first frame from the command."""
        command, playback = self._applying or self._awaiting_audio, self._driver.playback
        self._awaiting_audio = None
        if command is None or command.kind not in FIRST_AUDIO_KINDS or not command.issued_at_ms or playback is None:
            return
        issued_at_ms = command.issued_at_ms

        async def watch() -> None:
            if await playback.first_frame():
                self._metrics.observe_first_audio((now_ms() - issued_at_ms) / 1000)

        self._side_tasks.spawn(watch(), name=f"first-audio-{self.guild_id}")

    async def _failed(self, item: QueueItem, failure: PlaybackFailure, detail: str) -> None:
        """Announce why `item` cannot play and silence what still plays; the loop then moves on (ItemFailed), after
        any command that arrived first, so a run of broken items never holds a command up."""
        _log.warning("track failed (%s): %s", failure.value, detail, extra=self._extra)
        await self._driver.stop()
        await self._publish(self._event(TrackFailed, item=item, failure=failure, error=detail[:500]))
        self._inbox.put_nowait(ItemFailed(item.uid, detail))

    async def _note_crash(self) -> None:
        """Count a crash against the now-playing item (see poison_policy); the supervisor restarts the player."""
        item = self._state.now_playing
        if item is not None and self._lease.valid():
            with contextlib.suppress(Exception):
                await self._set_trouble(poison_policy.crashed(self._state.trouble, item))

    async def _check_overrun(self) -> None:
        """A stream that plays far past its known length is looping (FFmpeg reconnects a server that keeps resetting
        from the first byte): it is failed instead of playing forever."""
        item = self._state.now_playing
        duration = item.track.duration_ms if item is not None else None
        if item is not None and duration and self._position() > duration * 1.1 + _OVERRUN_GRACE_MS:
            await self._failed(item, PlaybackFailure.BROKE_OFF, f"still playing at {self._position()} ms of {duration}")

    async def _silence(self) -> None:
        with contextlib.suppress(Exception):
            await self._driver.stop()

    def _event[E: EventBase](self, kind: type[E], **fields: Any) -> E:
        return kind(guild_id=self.guild_id, at_ms=now_ms(), text_channel_id=self._state.text_channel_id, **fields)

    async def _publish(self, event: Event) -> None:
        try:
            await self._stores.events.publish(event)
        except (OSError, RedisError) as exc:
            _log.warning("could not publish %s: %s", type(event).__name__, exc, extra=self._extra)
