"""Now playing in the voice channel's status: set when a track starts, cleared when playback stops or the bot leaves.

Policy:
- One request per change at most: what a guild's channel shows is remembered, and a change is sent only when the
  wanted status differs from it. Changes are sent in the background, one guild at a time in order, and coalesced
  (a status that was overtaken before it was sent is never sent), so the now-playing message never waits for it.
- The per-guild setting `voice_status` turns it off; a status already shown is then cleared at the next change.
- When Discord refuses to set it (403: the bot lacks Set Voice Channel Status, or cannot see the channel), the guild
  is left alone for REFUSED_FOR_S and this is logged once at info: music plays on without it. A refused clear (the
  bot left before it, and lacks Manage Channels) only forgets the status. Other failures are logged (warning) by
  the sink; the last status known to be shown is kept, so the next change tries again.
- Before the bot leaves or moves, `before_voice_change` clears the status of the channel it leaves while it is
  still connected (Discord lets only members of the channel, or holders of Manage Channels, change it); a status
  shown in another channel than the player's is cleared there before the new one is set.
What is shown lives in this process's memory: after a gateway restart, a status set before it is not cleared.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Final, Protocol

from gateway.wording.voice_status import now_playing_status
from shared.events import Event, PlayerLeft, QueueFinished, TrackEnded, TrackEndReason, TrackStarted
from shared.models import QueueItem
from shared.player_store import PlayerStore
from shared.settings_store import SettingsStore
from shared.tasks import TaskOwner

_log: Final = logging.getLogger(__name__)
REFUSED_FOR_S: Final = 3600.0
"""How long a guild whose status Discord refused is not asked again (a permission is rarely granted at once)."""
CLEAR_BEFORE_LEAVE_S: Final = 3.0
"""How long leaving or moving waits for the status to be cleared."""


class StatusOutcome(Enum):
    SET = "set"
    REFUSED = "refused"
    """Discord answered 403."""
    FAILED = "failed"
    """Anything else (already logged by the sink)."""


class StatusSink(Protocol):
    """Where statuses go (Discord's REST API in production)."""

    async def set_status(self, channel_id: int, text: str) -> StatusOutcome:
        """Show `text` as the voice channel's status; "" clears it."""
        ...


@dataclass(frozen=True, slots=True)
class _Shown:
    channel_id: int
    text: str


class VoiceStatus:
    def __init__(
        self,
        settings: SettingsStore,
        players: PlayerStore,
        sink: StatusSink,
        tasks: TaskOwner,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._players = players
        self._sink = sink
        self._tasks = tasks
        """Runs the changes (the process's background tasks, cancelled when it stops)."""
        self._clock = clock
        self._wanted: dict[int, QueueItem | None] = {}
        """Per guild, the change not yet applied: the track to show, or None to clear."""
        self._shown: dict[int, _Shown] = {}
        self._refused_until: dict[int, float] = {}
        self._running: dict[int, asyncio.Event] = {}
        """Guilds whose changes are being applied; each event is set when their queue is empty."""

    def follow(self, event: Event) -> None:
        """Show a started track; clear on stop, queue end and leave (in the background, never waiting)."""
        match event:
            case TrackStarted():
                self._want(event.guild_id, event.item)
            case TrackEnded(reason=TrackEndReason.STOPPED) | QueueFinished() | PlayerLeft():
                self._want(event.guild_id, None)
            case _:
                pass

    async def before_voice_change(self, guild_id: int, channel_id: int | None) -> None:
        """The bot is about to leave (`channel_id` None) or move: clear the status it set in the channel it leaves
        and wait (bounded) until that is done, while the bot is still connected there. A join of the channel it
        is in (fresh credentials) changes nothing and drops no change still being sent."""
        if channel_id is not None:
            await self._settle_for_voice(guild_id)
            shown = self._shown.get(guild_id)
            if shown is None or shown.channel_id == channel_id:
                return
        elif guild_id not in self._shown and guild_id not in self._running:
            return
        self._want(guild_id, None)
        await self._settle_for_voice(guild_id)

    async def _settle_for_voice(self, guild_id: int) -> None:
        try:
            async with asyncio.timeout(CLEAR_BEFORE_LEAVE_S):
                await self.settled(guild_id)
        except TimeoutError:
            _log.info("changing voice channels before the voice status was updated", extra={"guild_id": guild_id})

    async def settled(self, guild_id: int) -> None:
        """Until every change asked for in the guild so far has been applied (or given up)."""
        done = self._running.get(guild_id)
        if done is not None:
            await done.wait()

    def _want(self, guild_id: int, item: QueueItem | None) -> None:
        self._wanted[guild_id] = item
        if guild_id not in self._running:
            self._running[guild_id] = asyncio.Event()
            self._tasks.spawn(self._apply_all(guild_id), name=f"voice-status:{guild_id}")

    async def _apply_all(self, guild_id: int) -> None:
        try:
            while guild_id in self._wanted:
                item = self._wanted.pop(guild_id)
                try:
                    await self._apply(guild_id, item)
                except Exception:  # noqa: BLE001 - Redis or Discord failing must not end the guild's updates
                    _log.warning("could not update the voice status", exc_info=True, extra={"guild_id": guild_id})
        finally:
            self._running.pop(guild_id).set()

    async def _apply(self, guild_id: int, item: QueueItem | None) -> None:
        if self._clock() < self._refused_until.get(guild_id, 0.0):
            return
        target = await self._target(guild_id, item) if item is not None else None
        shown = self._shown.get(guild_id)
        if target == shown:
            return
        if shown is not None and (target is None or target.channel_id != shown.channel_id):
            await self._send(guild_id, _Shown(shown.channel_id, ""))
        if target is not None:
            await self._send(guild_id, target)

    async def _target(self, guild_id: int, item: QueueItem) -> _Shown | None:
        settings = await self._settings.get(guild_id)
        if not settings.voice_status:
            return None
        state = await self._players.load(guild_id)
        if state is None or state.voice_channel_id is None:
            return None
        return _Shown(state.voice_channel_id, now_playing_status(item.track))

    async def _send(self, guild_id: int, change: _Shown) -> None:
        outcome = await self._sink.set_status(change.channel_id, change.text)
        if outcome is StatusOutcome.FAILED:
            return  # what the channel shows is unknown: the last known status is kept, to be cleared later
        if outcome is StatusOutcome.SET and change.text:
            self._shown[guild_id] = change
            return
        self._shown.pop(guild_id, None)
        if outcome is StatusOutcome.REFUSED and change.text:
            self._refused_until[guild_id] = self._clock() + REFUSED_FOR_S
            _log.info(
                "Discord refused to set the voice channel status (the bot needs Set Voice Channel Status);"
                " not trying again for %d s",
                REFUSED_FOR_S,
                extra={"guild_id": guild_id},
            )
