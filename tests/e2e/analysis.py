"""What the listener heard, as a sequence: which tone when, silent stretches, peaks."""

from __future__ import annotations

import array
import itertools
from dataclasses import dataclass
from pathlib import Path

from tests.fakediscord.voice.audio_analysis import dominant_frequency, rms_dbfs
from tests.fakediscord.voice.capture import HeardAudio

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


def longest_silence_s(heard: HeardAudio, start: float, end: float) -> float:
    """The longest run of arrival time with no frame or only silent frames, between the first and last sound."""
    sounding = [c.at for c in heard.between(start, end) if rms_dbfs(c.pcm) > SILENT_DBFS]
    return max((b - a for a, b in itertools.pairwise(sounding)), default=0.0)


def peak(pcm: bytes) -> int:
    samples = array.array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    return max((abs(s) for s in samples), default=0)


def child_commands(pid: int) -> list[list[str]]:
    """The argv of every direct child process of `pid` (from /proc)."""
    found: list[list[str]] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == pid:
                found.append([part.decode() for part in (entry / "cmdline").read_bytes().split(b"\0") if part])
        except (OSError, ValueError, IndexError):
            continue
    return found
