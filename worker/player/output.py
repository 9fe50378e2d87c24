"""A guild's audio output: FFmpeg pipelines from the SourceOpener on the worker's one Pacer, into the voice sink.

Implements the player's `AudioOutput` port. Frames go through a fenced sink: once the lease may have lapsed the
guild goes silent at the very next frame, whatever the rest of the player is doing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Final

from shared.models import Equalizer, FilterChain
from worker.audio.ffmpeg_args import TrackRequest
from worker.audio.frames import FrameSink
from worker.audio.guild_stream import EndReason, GuildStream, Splice, Spliced, StreamEvent, TrackEnded
from worker.audio.opener import SourceOpener
from worker.audio.pacer import Pacer
from worker.audio.stream import PlayableStream
from worker.player.ports import HoldReason, LeaseView, SpliceListener, TrackEndListener
from worker.voice.connection import VoiceEvent, VoiceStatus

_log: Final = logging.getLogger(__name__)


class FencedSink:
    """Passes frames to the voice connection only while the lease is certainly still ours.

    A refused frame also calls `on_fenced` (the guild's audio holds from the next tick), so a lease that was only
    renewed late costs a pause, not a stretch of track played to nobody.
    """

    def __init__(self, sink: FrameSink, lease: LeaseView) -> None:
        self._sink = sink
        self._lease = lease
        self._loop = asyncio.get_running_loop()
        self.fenced_frames = 0
        self.on_fenced: Callable[[], None] | None = None

    def send_opus(self, packet: bytes) -> None:
        """On the frame clock's thread: `on_fenced` runs on the loop, after this tick."""
        if self._lease.valid():
            self._sink.send_opus(packet)
            return
        self.fenced_frames += 1
        if self.on_fenced is not None:
            self._loop.call_soon_threadsafe(self.on_fenced)

    def set_speaking(self, on: bool) -> None:
        self._sink.set_speaking(on)


class VoiceHold:
    """The voice connection's state listener: the guild's audio holds while voice is not connected.

    Frames paced into a dropped connection would be lost to the listeners; held, the track keeps its place and a
    reconnect (a 4006 rejoin, a resume, a server move, a gateway restart) continues where the sound stopped.
    """

    def __init__(self) -> None:
        self.audio: GuildAudio | None = None

    def __call__(self, event: VoiceEvent) -> None:
        if self.audio is not None:
            self.audio.hold(HoldReason.VOICE, event.status is not VoiceStatus.CONNECTED)


class PipelinePlayback:
    """One track on the guild's stream, identified by its key (pipelines of the same key are the same track)."""

    def __init__(self, output: GuildAudio, key: str) -> None:
        self._output = output
        self.key = key

    @property
    def position_ms(self) -> int:
        return self._output.position_of(self.key)

    async def first_frame(self) -> bool:
        return await self._output.first_frame(self.key)

    def pause(self) -> None:
        self._output.set_paused(True)

    def resume(self) -> None:
        self._output.set_paused(False)

    async def stop(self) -> None:
        self._output.stop_key(self.key)


class GuildAudio:
    def __init__(self, guild_id: int, pacer: Pacer, opener: SourceOpener, sink: FrameSink) -> None:
        self.guild_id = guild_id
        self._pacer = pacer
        self._opener = opener
        self.stream: GuildStream = pacer.attach(guild_id, sink)
        self._paused = False
        self._holds: set[HoldReason] = set()
        self._live: set[str] = set()
        """Keys started or prepared that did not end yet."""
        self._last_position: dict[str, int] = {}
        self._sent: dict[str, None] = {}
        """Keys whose first frame went out (the newest few)."""
        self._first: dict[str, asyncio.Future[bool]] = {}
        self._on_end: TrackEndListener | None = None
        self._on_splice: SpliceListener | None = None
        self.stream.on_first_frame = self._first_frame_sent
        self.stream.on_event = self._stream_event

    def on_track_end(self, listener: TrackEndListener) -> None:
        """`listener` hears of every end of a track, on the loop as the tick hands it over (see `TrackEndListener`)."""
        self._on_end = listener

    def on_splice(self, listener: SpliceListener) -> None:
        """`listener` hears of every splice a track passed, as the tick hands it over."""
        self._on_splice = listener

    def _request(
        self,
        stream: PlayableStream,
        key: str,
        position_ms: int,
        filters: FilterChain,
        equalizer: Equalizer,
        volume: int,
    ) -> TrackRequest:
        return TrackRequest(stream, key, start_ms=position_ms, filters=filters, equalizer=equalizer, volume=volume)

    async def start(  # noqa: PLR0913 - keyword-only, each one a property of the pipeline
        self,
        stream: PlayableStream,
        *,
        key: str,
        position_ms: int,
        filters: FilterChain,
        equalizer: Equalizer,
        volume: int,
        paused: bool,
        ready: Awaitable[object] | None = None,
    ) -> PipelinePlayback:
        """Start `key` at `position_ms`; a playing pipeline of the same key is swapped without a gap.

        FFmpeg starts at once; the first frame waits for `ready` (a takeover opens voice and FFmpeg side by side).
        """
        source = await self._opener.open(self._request(stream, key, position_ms, filters, equalizer, volume))
        if ready is not None:
            try:
                await ready
            except BaseException:
                await source.aclose()
                raise
        current = self.stream.current
        self._paused = paused
        if paused:
            self._apply_pause()
        if current is not None and current.track_id == key and self.stream.swap_pipeline(source):
            self._apply_pause()
            return PipelinePlayback(self, key)
        self._live.add(key)
        self.stream.play(source)
        self._apply_pause()
        return PipelinePlayback(self, key)

    def set_paused(self, paused: bool) -> None:
        self._paused = paused
        self._apply_pause()

    def hold(self, reason: HoldReason, held: bool) -> None:
        """Hold the stream (the track keeps its place, nothing is played to nobody) while any reason holds."""
        if held == (reason in self._holds):
            return
        _log.info("playback %s (%s)", "held" if held else "released", reason.value, extra={"guild_id": self.guild_id})
        if held:
            self._holds.add(reason)
        else:
            self._holds.discard(reason)
        self._apply_pause()

    def _apply_pause(self) -> None:
        if self._paused or self._holds:
            self.stream.pause()
        else:
            self.stream.resume()

    async def prepare_next(
        self,
        stream: PlayableStream,
        *,
        key: str,
        filters: FilterChain,
        equalizer: Equalizer,
        volume: int,
        position_ms: int = 0,
    ) -> None:
        """Open the following track now (from `position_ms`) so it starts on the frame after the current one ends."""
        source = await self._opener.open(self._request(stream, key, position_ms, filters, equalizer, volume))
        self._live.add(key)
        self.stream.set_next(source)

    async def prepare_splice(  # noqa: PLR0913 - keyword-only, each one a property of the pipeline
        self,
        stream: PlayableStream,
        *,
        key: str,
        at_ms: int,
        resume_ms: int | None,
        filters: FilterChain,
        equalizer: Equalizer,
        volume: int,
    ) -> bool:
        """At `at_ms` of the playing `key`, continue from `resume_ms` on a pipeline opened now (no gap), or with
        None end the track there. False when `key` no longer plays once the pipeline is open."""
        source = None
        if resume_ms is not None:
            source = await self._opener.open(self._request(stream, key, resume_ms, filters, equalizer, volume))
        current = self.stream.current
        if current is None or current.track_id != key:
            if source is not None:
                await source.aclose()
            return False
        self.stream.set_splice(Splice(key, at_ms, source))
        return True

    def clear_splice(self) -> None:
        self.stream.set_splice(None)

    def promote_next(self, key: str) -> PipelinePlayback | None:
        """Play the prepared track `key` at once (a skip to the prepared track); None if it is not prepared."""
        prepared = self.stream.next
        if prepared is None or prepared.track_id != key:
            return None
        self.stream.play(prepared)
        return PipelinePlayback(self, key)

    def adopt(self, key: str) -> PipelinePlayback | None:
        """The playback of `key` if it is playing now (it began gaplessly after the previous track)."""
        current = self.stream.current
        return PipelinePlayback(self, key) if current is not None and current.track_id == key else None

    def clear_next(self) -> None:
        prepared = self.stream.next
        if prepared is not None:
            self._forget(prepared.track_id)
        self.stream.set_next(None)

    def position_of(self, key: str) -> int:
        current = self.stream.current
        if current is not None and current.track_id == key:
            self._last_position[key] = current.position_ms
            return current.position_ms
        return self._last_position.get(key, 0)

    def stop_key(self, key: str) -> None:
        current = self.stream.current
        if current is not None and current.track_id == key:
            self.stream.stop()

    async def first_frame(self, key: str) -> bool:
        """Wait until the first frame of `key` went out; False when the track ended (or was replaced) first."""
        if key in self._sent:
            return True
        if key not in self._live:
            return False
        waiter = self._first.get(key)
        if waiter is None:
            waiter = self._first[key] = asyncio.get_running_loop().create_future()
        return await asyncio.shield(waiter)

    def _first_frame_sent(self, key: str) -> None:
        self._sent[key] = None
        if len(self._sent) > 64:
            self._sent.pop(next(iter(self._sent)))
        waiter = self._first.pop(key, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(True)

    def _forget(self, key: str) -> None:
        self._live.discard(key)
        waiter = self._first.pop(key, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(key in self._sent)

    def _stream_event(self, event: StreamEvent) -> None:
        """The stream's event, on the loop: an end (or a splice) goes to the listener in this same step."""
        if isinstance(event, Spliced):
            if self._on_splice is not None:
                self._on_splice(event.track_id, event.from_ms, event.to_ms)
            return
        if not isinstance(event, TrackEnded):
            return
        self._last_position[event.track_id] = event.position_ms
        if len(self._last_position) > 64:
            self._last_position.pop(next(iter(self._last_position)))
        self._forget(event.track_id)
        if self._on_end is not None:
            error = (event.error or "playback failed") if event.reason is EndReason.FAILED else None
            self._on_end(event.track_id, error)

    async def close(self) -> None:
        self._pacer.detach(self.guild_id)
        self._on_end = None
        self._on_splice = None
        self._live.clear()
        for waiter in self._first.values():
            if not waiter.done():
                waiter.set_result(False)
        self._first.clear()
