"""One guild's slot on the frame clock: its playing source, the prepared next one, pause, splices and events.

`Pacer` (worker/audio/pacer.py) ticks every attached `GuildStream` on the same 20 ms tick, on the clock's own
thread; this module holds what a stream does on a tick and the events it reports. Control calls come from the event
loop and take the handoff's lock, so they act between two ticks; what a tick reports (events, first frames, sources
to close) reaches the loop through the handoff (worker/audio/handoff.py).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from worker.audio.frames import FRAME_MS, SILENCE_FRAME, SILENCE_FRAMES, FrameSink, FrameSource
from worker.audio.handoff import LoopHandoff


class EndReason(StrEnum):
    """Why a track stopped playing (Lavalink's semantics)."""

    FINISHED = "finished"
    FAILED = "failed"
    STOPPED = "stopped"
    REPLACED = "replaced"


@dataclass(frozen=True, slots=True)
class TrackStarted:
    """The first frame of a track went out (or is going out on this tick)."""

    track_id: str


@dataclass(frozen=True, slots=True)
class TrackEnded:
    """A track left the stream; `position_ms` is where in the source it stopped."""

    track_id: str
    reason: EndReason
    position_ms: int
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Spliced:
    """The playing track jumped from `from_ms` to `to_ms` of its source on a prepared splice (see `Splice`)."""

    track_id: str
    from_ms: int
    to_ms: int


@dataclass(frozen=True, slots=True)
class Splice:
    """Where the playing track `track_id` leaves its source: at `at_ms` it continues from `source` (a pipeline of
    the same track opened further on), or with no source it finishes there (what follows starts gaplessly)."""

    track_id: str
    at_ms: int
    source: FrameSource | None


type StreamEvent = TrackStarted | TrackEnded | Spliced


@dataclass(slots=True)
class PacerCounters:
    """Worker-wide counters for metrics; monotonically increasing except `max_lateness_s`."""

    ticks: int = 0
    late_ticks: int = 0
    """Ticks that ran a whole frame or more after their due time."""
    skipped_ticks: int = 0
    """Ticks dropped because the loop stalled beyond the catch-up bound."""
    max_lateness_s: float = 0.0
    total_lateness_s: float = 0.0
    busy_s: float = 0.0
    """Time spent inside ticks (all guilds' frame work)."""
    frames_sent: int = 0
    silence_sent: int = 0
    deficits: int = 0
    """Ticks on which a playing guild had no frame buffered."""


@dataclass(slots=True)
class StreamCounters:
    frames_sent: int = 0
    deficits: int = 0


class GuildStream:
    """One guild's slot on the pacer: the playing source, the prepared next one, pause state, events.

    Control methods are synchronous and act between two ticks (under the handoff's lock), so every switch happens at
    a frame boundary. Events (`TrackStarted`, `TrackEnded`, `Spliced`) go to `on_event` on the event loop in the order
    they happened: at once for those a control call causes, after the tick for those a tick causes. Each started
    track ends exactly once.
    """

    def __init__(
        self,
        guild_id: int,
        sink: FrameSink,
        *,
        retire: Callable[[FrameSource], None],
        counters: PacerCounters,
        silence_frames: int = SILENCE_FRAMES,
        handoff: LoopHandoff | None = None,
    ) -> None:
        self.guild_id = guild_id
        self._handoff = handoff if handoff is not None else LoopHandoff.of_running_loop()
        self._lock = self._handoff.lock
        self.on_event: Callable[[StreamEvent], None] | None = None
        """Called on the event loop with each event (see the class docstring): must return at once."""
        self.counters = StreamCounters()
        self._sink = sink
        self._retire = retire
        self._pacer_counters = counters
        self._current: FrameSource | None = None
        self._next: FrameSource | None = None
        self._paused = False
        self._speaking = False
        self._silence_left = 0
        self._silence_frames = silence_frames
        self._unsent: FrameSource | None = None
        self._splice: Splice | None = None
        self.on_first_frame: Callable[[str], None] | None = None
        """Called on the event loop with a track's id once its first frame went to the sink (must return at once)."""

    @property
    def current(self) -> FrameSource | None:
        return self._current

    @property
    def next(self) -> FrameSource | None:
        return self._next

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def position_ms(self) -> int | None:
        """Source position of the playing track, or None when nothing plays."""
        return self._current.position_ms if self._current is not None else None

    def play(self, source: FrameSource) -> None:
        """Play `source` from the next tick; a playing track ends as REPLACED. Pause state is kept."""
        with self._lock:
            if source is self._current:
                return
            if self._current is not None:
                self._end(EndReason.REPLACED)
            self._begin(source)
            self._announce()

    def set_next(self, source: FrameSource | None) -> None:
        """Prepare the track that follows gaplessly when the current one finishes (replacing any prepared one).

        A track that fails does not advance to it; `play(stream.next)` does that if the player wants to.
        """
        with self._lock:
            if self._next is not None and self._next is not source:
                self._drop(self._next)
            self._next = source

    def set_splice(self, splice: Splice | None) -> None:
        """Cut the playing track at a position (replacing any cut prepared before); dropped when the track ends."""
        with self._lock:
            old, self._splice = self._splice, splice
            if old is not None and old.source is not None and (splice is None or old.source is not splice.source):
                self._drop(old.source)

    def _take_splice(self, source: FrameSource) -> FrameSource | None:
        """Before `source` sends its next frame: follow a splice that is due. None when the track finished there."""
        splice = self._splice
        if splice is None or splice.track_id != source.track_id or source.position_ms < splice.at_ms:
            return source
        self._splice = None
        if splice.source is None:
            return None
        self._emit(Spliced(source.track_id, source.position_ms, splice.source.position_ms))
        self._drop(source)
        if self._unsent is source:
            self._unsent = splice.source
        self._current = splice.source
        return splice.source

    def swap_pipeline(self, source: FrameSource) -> bool:
        """Continue the playing track from `source`, a new pipeline (new filters/volume) of the same track.

        `source` was started at a position read from this stream earlier; the old pipeline kept playing while it
        started, so the frames already heard are skipped to line the new one up with the old. Returns False (and
        retires `source`) if that track is no longer playing.
        """
        with self._lock:
            current = self._current
            if current is None or current.track_id != source.track_id:
                self._drop(source)
                return False
            behind_ms = current.position_ms - source.position_ms
            if behind_ms > 0:
                source.skip_frames(round(behind_ms / (FRAME_MS * source.rate_factor)))
            self._drop(current)
            if self._unsent is current:
                self._unsent = source
            self._current = source
            return True

    def pause(self) -> None:
        """Stop sending (after five silence frames); the source keeps its place and buffer."""
        with self._lock:
            if not self._paused:
                self._paused = True
                self._start_silence()

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            self._announce()

    def stop(self) -> None:
        """End the playing track as STOPPED, drop the prepared one, and go silent."""
        with self._lock:
            if self._current is not None:
                self._end(EndReason.STOPPED)
            self.set_next(None)
            self._start_silence()

    def tick(self) -> None:
        """Send this guild's frame for the current tick (called by the pacer only, holding the handoff's lock)."""
        current = self._current
        if current is None or self._paused:
            if self._silence_left:
                self._send_silence()
            return
        self._silence_left = 0
        if self._splice is None and self._unsent is None and self._speaking:
            # The common tick (a track playing on, nothing to announce or cut): `_play_one` without its checks.
            packet = current.read_frame()
            if packet is not None:
                self._sink.send_opus(packet)
                self.counters.frames_sent += 1
                self._pacer_counters.frames_sent += 1
                return
        self._play_one(current)

    def fail(self, error: Exception) -> None:
        """The sink broke: end the track as FAILED without touching the sink again."""
        with self._lock:
            self._speaking = False
            self._silence_left = 0
            if self._current is not None:
                self._end(EndReason.FAILED, f"voice send failed: {error}")
            self.set_next(None)

    def _play_one(self, playing: FrameSource) -> None:
        source = self._take_splice(playing)
        packet = self._follow() if source is None else source.read_frame()
        if packet is None and source is not None:
            packet = self._advance(source)
        if packet is None:
            return
        if not self._speaking:
            self._sink.set_speaking(True)
            self._speaking = True
        self._sink.send_opus(packet)
        self.counters.frames_sent += 1
        self._pacer_counters.frames_sent += 1
        if self._unsent is not None and self._unsent is self._current:
            self._unsent = None
            self._handoff.call(functools.partial(self._first_frame_sent, self._current.track_id))

    def _first_frame_sent(self, track_id: str) -> None:
        if self.on_first_frame is not None:
            self.on_first_frame(track_id)

    def _advance(self, source: FrameSource) -> bytes | None:
        if not source.exhausted:
            self._deficit()
            return None
        error = source.error
        if error is not None:
            # No gapless advance past a failure: the player may rather retry the track at its position.
            self._end(EndReason.FAILED, str(error))
            self._start_silence()
            return None
        return self._follow()

    def _follow(self) -> bytes | None:
        """`source` finished: the prepared next track begins on this same tick."""
        self._end(EndReason.FINISHED)
        following, self._next = self._next, None
        if following is None:
            self._start_silence()
            return None
        self._begin(following)
        packet = following.read_frame()
        if packet is None and not following.exhausted:
            self._deficit()
        return packet

    def _begin(self, source: FrameSource) -> None:
        if source is self._next:
            self._next = None
        self._current = source
        self._unsent = source
        self._emit(TrackStarted(source.track_id))

    def _end(self, reason: EndReason, error: str | None = None) -> None:
        source = self._current
        assert source is not None
        self._current = None
        self.set_splice(None)
        self._emit(TrackEnded(source.track_id, reason, source.position_ms, error))
        self._drop(source)

    def _emit(self, event: StreamEvent) -> None:
        self._handoff.call(functools.partial(self._deliver, event))

    def _deliver(self, event: StreamEvent) -> None:
        if self.on_event is not None:
            self.on_event(event)

    def _drop(self, source: FrameSource) -> None:
        """Hand a source that left the stream to `retire` (which closes it on the loop)."""
        self._handoff.call(functools.partial(self._retire, source))

    def _announce(self) -> None:
        """From a control call on the loop: say SPEAKING before the clock thread sends the first frame."""
        if self._current is not None and not self._paused and not self._speaking:
            self._sink.set_speaking(True)
            self._speaking = True

    def _deficit(self) -> None:
        self.counters.deficits += 1
        self._pacer_counters.deficits += 1

    def _start_silence(self) -> None:
        if not self._speaking:
            return
        if self._silence_frames:
            self._silence_left = self._silence_frames
        else:
            self._sink.set_speaking(False)
            self._speaking = False

    def _send_silence(self) -> None:
        self._sink.send_opus(SILENCE_FRAME)
        self._pacer_counters.silence_sent += 1
        self._silence_left -= 1
        if not self._silence_left:
            self._sink.set_speaking(False)
            self._speaking = False
