"""Turns worker events into Discord messages: one now-playing message per guild, edited in place, and notices.

The now-playing message goes to the guild's announce channel, else to the channel of the command that started
playback. Its id is kept in Redis, so after a restart the gateway keeps editing the same message. Events are read
from the shared events stream from the newest entry at start; each gateway process handles its shards' guilds.

Announcements are for the whole channel, so they are worded in the guild's language: the `language` setting, or
with "auto" (the default) the guild's preferred locale as the gateway's cache knows it (the community language set
in the server settings, what Discord sends interactions as `guild_locale`), English when unknown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Final, Protocol

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from gateway.events.shards import ShardFilter
from gateway.events.voice_status import VoiceStatus
from gateway.stores.clients import STREAM_BLOCK_MS, Stores
from gateway.stores.messages import MessageRef
from gateway.wording import failures, formatting
from gateway.wording.language import speaking, tr
from gateway.wording.reply import Reply
from shared.event_store import EventEntry, EventStore
from shared.events import (
    Event,
    PlayerLeft,
    PlayerUpdated,
    PlaylistProgress,
    QueueFinished,
    SegmentSkipped,
    TrackFailed,
    TrackStarted,
    TrackSubstituted,
)
from shared.models import AUTO_LANGUAGE, PlayerState

_log: Final = logging.getLogger(__name__)
RETRY_DELAY_S: Final = 1.0
PROGRESS_REFRESH_S: Final = 15.0
"""How often the progress bar of a playing guild's now-playing message is brought up to date."""
_REFRESHING: Final = (TrackStarted, PlayerUpdated)


class MessageSink(Protocol):
    """Where messages go (nextcord in production, a recorder in tests)."""

    async def send(self, channel_id: int, reply: Reply) -> int | None:
        """Post a message; its id, or None when the channel cannot be written to."""
        ...

    async def edit(self, channel_id: int, message_id: int, reply: Reply) -> bool:
        """Replace a message; False when it no longer exists (or cannot be edited)."""
        ...


class Announcer:
    def __init__(  # noqa: PLR0913 - the stores, the streams and the three Discord-side ports
        self,
        stores: Stores,
        events: EventStore,
        shards: ShardFilter,
        clock: Callable[[], int],
        sink: MessageSink,
        voice_status: VoiceStatus | None = None,
        guild_locale: Callable[[int], str | None] = lambda _guild_id: None,
    ) -> None:
        self._stores = stores
        self._events = events
        """On the stream client (blocking reads)."""
        self._shards = shards
        self._clock = clock
        """Wall-clock milliseconds (progress bars)."""
        self._sink = sink
        self._voice_status = voice_status
        """Now playing in the voice channel's status (None: not shown)."""
        self._guild_locale = guild_locale
        self._playing: set[int] = set()
        """Guilds whose now-playing message shows a running progress bar (refreshed by `tick`)."""

    async def run(self, ready: asyncio.Event | None = None) -> None:
        cursor = await self._start_cursor()
        if ready is not None:
            ready.set()
        while True:
            try:
                entries = await self._events.wait(cursor, STREAM_BLOCK_MS)
            except (RedisConnectionError, RedisTimeoutError):
                _log.warning("events: Redis unavailable, retrying")
                await asyncio.sleep(RETRY_DELAY_S)
                continue
            await self.handle_batch(entries)
            if entries:
                cursor = entries[-1].entry_id

    async def _start_cursor(self) -> str:
        while True:
            try:
                return await self._events.latest_id()
            except (RedisConnectionError, RedisTimeoutError):
                _log.warning("events: Redis unavailable at start, retrying")
                await asyncio.sleep(RETRY_DELAY_S)

    async def handle_batch(self, entries: list[EventEntry]) -> None:
        """Handle in order; a now-playing refresh is skipped when a later one for the same guild follows."""
        events = [entry.event for entry in entries if entry.event is not None]
        last_refresh = {event.guild_id: index for index, event in enumerate(events) if isinstance(event, _REFRESHING)}
        for index, event in enumerate(events):
            if isinstance(event, PlayerUpdated) and last_refresh.get(event.guild_id) != index:
                continue
            try:
                await self.handle(event)
            except Exception:  # noqa: BLE001 - one event failing (Discord, Redis) must not stop the consumer
                _log.warning("could not handle %s", event.kind, exc_info=True, extra={"guild_id": event.guild_id})

    async def handle(self, event: Event) -> None:
        if not self._shards.serves(event.guild_id):
            return
        with speaking(await self._language(event.guild_id)):
            await self._announce(event)

    async def _language(self, guild_id: int) -> str | None:
        """The `language` setting, or the guild's own when it is "auto"."""
        chosen = (await self._stores.settings.get(guild_id)).language
        return self._guild_locale(guild_id) if chosen == AUTO_LANGUAGE else chosen

    async def _announce(self, event: Event) -> None:
        if self._voice_status is not None:
            self._voice_status.follow(event)
        match event:
            case TrackStarted() | PlayerUpdated():
                await self.refresh(event)
            case TrackSubstituted():
                await self._notice(event, formatting.substituted(event))
            case TrackFailed():
                await self._notice(event, formatting.failed(event))
            case SegmentSkipped():
                await self._skipped(event)
            case PlaylistProgress():
                await self._progress(event)
            case QueueFinished():
                await self._finish(event, tr("Queue finished — add more with `/play`."))
            case PlayerLeft():
                await self._finish(event, failures.left(event.reason))

    async def _channel(self, event: Event, state: PlayerState | None) -> int | None:
        settings = await self._stores.settings.get(event.guild_id)
        if settings.announce_channel_id is not None:
            return settings.announce_channel_id
        if event.text_channel_id is not None:
            return event.text_channel_id
        return state.text_channel_id if state is not None else None

    async def refresh(self, event: TrackStarted | PlayerUpdated) -> None:
        """Create or edit the now-playing message from the stored player state (and the event, if it is newer)."""
        state = await self._stores.players.load(event.guild_id) or PlayerState()
        if isinstance(event, TrackStarted) and (state.now_playing is None or state.now_playing.uid != event.item.uid):
            update = {"now_playing": event.item, "position_ms": event.position_ms, "paused": event.paused}
            state = state.model_copy(update=update | {"updated_at_ms": event.at_ms})
        if state.now_playing is None:
            return
        channel = await self._channel(event, state)
        if channel is None:
            return
        queued = await self._stores.queue.length(event.guild_id)
        reply = formatting.now_playing(state, self._clock(), queued=queued)
        await self._put_now_playing(event.guild_id, channel, reply)
        if state.paused:
            self._playing.discard(event.guild_id)
        else:
            self._playing.add(event.guild_id)

    async def _put_now_playing(self, guild_id: int, channel_id: int, reply: Reply) -> None:
        ref = await self._stores.messages.now_playing(guild_id)
        if (
            ref is not None
            and ref.channel_id == channel_id
            and await self._sink.edit(channel_id, ref.message_id, reply)
        ):
            return
        message_id = await self._sink.send(channel_id, reply)
        if message_id is not None:
            ref = MessageRef(channel_id=channel_id, message_id=message_id)
            await self._stores.messages.set_now_playing(guild_id, ref)

    async def _skipped(self, event: SegmentSkipped) -> None:
        """The now-playing card lists the skip; only a track's first skip is also posted (a video with several
        sponsor reads does not fill the channel)."""
        await self.refresh(
            PlayerUpdated(guild_id=event.guild_id, at_ms=event.at_ms, text_channel_id=event.text_channel_id)
        )
        if event.first:
            await self._notice(event, formatting.segment_skipped(event))

    async def _finish(self, event: QueueFinished | PlayerLeft, text: str) -> None:
        self._playing.discard(event.guild_id)
        ref = await self._stores.messages.now_playing(event.guild_id)
        if ref is not None and await self._sink.edit(ref.channel_id, ref.message_id, formatting.finished_card(text)):
            return
        await self._notice(event, text)

    async def _notice(self, event: Event, text: str) -> None:
        channel = await self._channel(event, await self._stores.players.load(event.guild_id))
        if channel is not None:
            await self._sink.send(channel, Reply(content=text))

    async def _progress(self, event: PlaylistProgress) -> None:
        """One progress notice per playlist request, edited as ingestion advances."""
        channel = await self._channel(event, await self._stores.players.load(event.guild_id))
        if channel is None:
            return
        reply = Reply(content=formatting.playlist_progress(event))
        ref = await self._stores.messages.progress(event.guild_id, event.request_id)
        if ref is not None and await self._sink.edit(ref.channel_id, ref.message_id, reply):
            return
        message_id = await self._sink.send(channel, reply)
        if message_id is not None:
            await self._stores.messages.set_progress(
                event.guild_id, event.request_id, MessageRef(channel_id=channel, message_id=message_id)
            )

    async def run_ticker(self) -> None:
        """Keep progress bars moving between events; Redis outages are waited out."""
        while True:
            await asyncio.sleep(PROGRESS_REFRESH_S)
            try:
                await self.tick()
            except (RedisConnectionError, RedisTimeoutError):
                _log.warning("progress refresh: Redis unavailable")

    async def tick(self) -> None:
        """Re-render the now-playing message of every guild that is playing (not paused)."""
        for guild_id in sorted(self._playing):
            state = await self._stores.players.load(guild_id)
            ref = await self._stores.messages.now_playing(guild_id)
            if state is None or state.now_playing is None or state.paused or ref is None:
                self._playing.discard(guild_id)
                continue
            queued = await self._stores.queue.length(guild_id)
            with speaking(await self._language(guild_id)):
                reply = formatting.now_playing(state, self._clock(), queued=queued)
            if not await self._sink.edit(ref.channel_id, ref.message_id, reply):
                self._playing.discard(guild_id)
