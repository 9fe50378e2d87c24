"""What arrived at the voice server per speaker, and what each simulated listener heard."""

from __future__ import annotations

import bisect
import itertools
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from localdiscord.voice.audio_analysis import dominant_frequency, rms_dbfs

FRAME_SECONDS: Final = 0.02
SILENCE: Final = b"\xf8\xff\xfe"
OGG_MAGIC: Final = (b"OpusHead", b"OpusTags")
_TIME_GAP: Final = 0.06


@dataclass(frozen=True, slots=True)
class CaptureStats:
    """Transport-level statistics of one speaker's RTP stream (intervals in milliseconds).

    ``missing``/``gaps``: sequence numbers never seen / runs of them; ``time_gaps``: arrival intervals over 60 ms;
    ``interval_*``: inter-arrival percentiles; ``jitter_ms``: mean |interval - 20 ms|.
    """

    frames: int
    bytes: int
    missing: int
    gaps: int
    time_gaps: int
    reordered: int
    interval_p50_ms: float
    interval_p99_ms: float
    interval_max_ms: float
    jitter_ms: float
    silence_frames: int
    ogg_header_frames: int
    dave_frames: int
    passthrough_frames: int
    transport_failures: int
    before_speaking: int


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass(slots=True)
class StreamCapture:
    """Every RTP packet of one speaker in one channel, as the voice server received it."""

    user_id: int
    arrivals: list[float] = field(default_factory=list)
    total_bytes: int = 0
    reordered: int = 0
    silence_frames: int = 0
    ogg_header_frames: int = 0
    dave_frames: int = 0
    passthrough_frames: int = 0
    transport_failures: int = 0
    before_speaking: int = 0
    segments: list[set[int]] = field(default_factory=list, repr=False)
    _ssrc: int = -1
    _last: int = 0
    _last_ext: int = 0

    def add(self, ssrc: int, seq: int, frame: bytes, dave: bool, arrival: float) -> None:
        if ssrc != self._ssrc:
            self._ssrc, self._last, self._last_ext = ssrc, seq, seq
            self.segments.append(set())
        delta = (seq - self._last) & 0xFFFF
        delta = delta - 0x10000 if delta >= 0x8000 else delta
        extended = self._last_ext + delta
        if delta > 0:
            self._last, self._last_ext = seq, extended
        elif self.segments[-1]:
            self.reordered += 1
        self.segments[-1].add(extended)
        self.arrivals.append(arrival)
        self.total_bytes += len(frame)
        self._classify(frame, dave)

    def _classify(self, frame: bytes, dave: bool) -> None:
        if frame == SILENCE:
            self.silence_frames += 1
        elif frame.startswith(OGG_MAGIC):
            self.ogg_header_frames += 1
        elif dave:
            self.dave_frames += 1
        else:
            self.passthrough_frames += 1

    def intervals(self, start: float | None = None, end: float | None = None) -> list[float]:
        times = [t for t in self.arrivals if (start is None or t >= start) and (end is None or t < end)]
        return [b - a for a, b in itertools.pairwise(times)]

    def losses(self) -> tuple[int, int]:
        """(sequence numbers never received, runs of them), per SSRC between the first and last one seen."""
        missing = gaps = 0
        for seen in self.segments:
            ordered = sorted(seen)
            missing += ordered[-1] - ordered[0] + 1 - len(ordered) if ordered else 0
            gaps += sum(1 for a, b in itertools.pairwise(ordered) if b - a > 1)
        return missing, gaps

    def stats(self, start: float | None = None, end: float | None = None) -> CaptureStats:
        """Counters cover the whole stream; the interval figures only [start, end)."""
        intervals = self.intervals(start, end)
        missing, gaps = self.losses()
        return CaptureStats(
            frames=len(self.arrivals),
            bytes=self.total_bytes,
            missing=missing,
            gaps=gaps,
            time_gaps=sum(1 for i in intervals if i > _TIME_GAP),
            reordered=self.reordered,
            interval_p50_ms=1000 * _percentile(intervals, 0.5),
            interval_p99_ms=1000 * _percentile(intervals, 0.99),
            interval_max_ms=1000 * max(intervals, default=0.0),
            jitter_ms=1000 * statistics.fmean(abs(i - FRAME_SECONDS) for i in intervals) if intervals else 0.0,
            silence_frames=self.silence_frames,
            ogg_header_frames=self.ogg_header_frames,
            dave_frames=self.dave_frames,
            passthrough_frames=self.passthrough_frames,
            transport_failures=self.transport_failures,
            before_speaking=self.before_speaking,
        )


@dataclass(frozen=True, slots=True)
class PcmChunk:
    at: float
    pcm: bytes


def _arrival(chunk: PcmChunk) -> float:
    return chunk.at


@dataclass(slots=True)
class HeardAudio:
    """Decoded audio one listener heard from one speaker: 48 kHz stereo s16le, with arrival times."""

    listener_id: int
    speaker_id: int
    chunks: list[PcmChunk] = field(default_factory=list, repr=False)
    decrypted: int = 0
    decrypt_failures: int = 0
    passthrough: int = 0
    decode_failures: int = 0
    first_decrypted_at: float | None = None
    passthrough_times: list[float] = field(default_factory=list)

    def add(self, chunk: PcmChunk) -> None:
        """Keep `chunks` in arrival order (a latency fault delivers some out of order) so ranges are bisected."""
        if not self.chunks or chunk.at >= self.chunks[-1].at:
            self.chunks.append(chunk)
        else:
            bisect.insort(self.chunks, chunk, key=_arrival)

    def between(self, start: float | None = None, end: float | None = None) -> list[PcmChunk]:
        """The frames that arrived in [start, end) (monotonic seconds); cheap enough to poll every few ms."""
        low = 0 if start is None else bisect.bisect_left(self.chunks, start, key=_arrival)
        high = len(self.chunks) if end is None else bisect.bisect_left(self.chunks, end, key=_arrival)
        return self.chunks[low:high]

    def pcm(self, start: float | None = None, end: float | None = None) -> bytes:
        """PCM of the frames that arrived in [start, end) (monotonic seconds)."""
        return b"".join(c.pcm for c in self.between(start, end))

    def seconds(self, start: float | None = None, end: float | None = None) -> float:
        return sum(len(c.pcm) for c in self.between(start, end)) / (48_000 * 4)

    def dominant_frequency(self, start: float | None = None, end: float | None = None) -> float:
        return dominant_frequency(self.pcm(start, end))

    def rms_dbfs(self, start: float | None = None, end: float | None = None) -> float:
        return rms_dbfs(self.pcm(start, end))

    def passthrough_after(self, moment: float) -> int:
        return sum(1 for t in self.passthrough_times if t >= moment)

    def median_interval(self) -> float:
        times = [c.at for c in self.chunks]
        gaps = [b - a for a, b in itertools.pairwise(times)]
        return statistics.median(gaps) if gaps else 0.0


type OpusTap = Callable[[int, bytes, float], None]
"""`(speaker_id, opus_frame, arrival)`: one Opus frame as a listener received it, decrypted, not decoded."""


@dataclass(slots=True)
class ChannelAudio:
    """Everything captured in one voice channel: streams by speaker, heard audio by (listener, speaker)."""

    channel_id: int
    streams: dict[int, StreamCapture] = field(default_factory=dict)
    heard: dict[tuple[int, int], HeardAudio] = field(default_factory=dict)
    taps: dict[int, list[OpusTap]] = field(default_factory=dict)
    """Subscribers to the Opus frames a listener receives (after DAVE decryption), by listener id."""

    def tap(self, listener_id: int, tap: OpusTap) -> Callable[[], None]:
        """Call `tap(speaker_id, opus, arrival)` for every frame `listener_id` hears; returns the unsubscribe."""
        self.taps.setdefault(listener_id, []).append(tap)

        def untap() -> None:
            taps = self.taps.get(listener_id, [])
            if tap in taps:
                taps.remove(tap)

        return untap

    def tapped(self, listener_id: int, speaker_id: int, opus: bytes, arrival: float) -> None:
        for tap in list(self.taps.get(listener_id, ())):
            tap(speaker_id, opus, arrival)

    def stream(self, user_id: int) -> StreamCapture:
        if user_id not in self.streams:
            self.streams[user_id] = StreamCapture(user_id)
        return self.streams[user_id]

    def heard_by(self, listener_id: int, speaker_id: int) -> HeardAudio:
        key = (listener_id, speaker_id)
        if key not in self.heard:
            self.heard[key] = HeardAudio(listener_id, speaker_id)
        return self.heard[key]
