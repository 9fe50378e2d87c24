"""What the listener heard, as a sequence: which tone when, when it sounded, silent stretches."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from localdiscord.voice.audio_analysis import dominant_frequency, rms_dbfs
from localdiscord.voice.capture import HeardAudio

SILENT_DBFS = -50.0


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    frequency: float


def tone_segments(heard: HeardAudio, start: float, end: float, window_s: float = 0.2) -> list[Segment]:
    """Consecutive windows with the same dominant frequency (±3 %), silent windows left out."""
    segments: list[Segment] = []
    t = start
    while t < end:
        pcm = heard.pcm(t, t + window_s)
        if len(pcm) >= 48_000 * 4 * window_s / 2 and rms_dbfs(pcm) > SILENT_DBFS:
            freq = dominant_frequency(pcm)
            last = segments[-1] if segments else None
            if last is not None and abs(last.frequency - freq) <= 0.03 * freq:
                segments[-1] = Segment(last.start, t + window_s, last.frequency)
            else:
                segments.append(Segment(t, t + window_s, freq))
        t += window_s
    return [s for s in segments if s.end - s.start > window_s]


def sounding_times(heard: HeardAudio, start: float | None, end: float | None) -> list[float]:
    """Arrival times of the frames between `start` and `end` that are not silent."""
    return [c.at for c in heard.between(start, end) if rms_dbfs(c.pcm) > SILENT_DBFS]


def longest_silence_s(heard: HeardAudio, start: float, end: float) -> float:
    """The longest run of arrival time with no frame or only silent frames, between the first and last sound."""
    return max((b - a for a, b in itertools.pairwise(sounding_times(heard, start, end))), default=0.0)
