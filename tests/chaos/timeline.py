"""Reading a takeover off what the listener heard: where the sound stopped, where it resumed, and at which position."""

from __future__ import annotations

import datetime
import itertools
import math
from dataclasses import dataclass
from typing import Final

from localdiscord.voice.audio_analysis import dominant_frequency, rms_dbfs
from localdiscord.voice.capture import HeardAudio
from tests.chaos.media import ramp_position_s
from tests.e2e.analysis import SILENT_DBFS, sounding_times

BYTES_PER_SECOND: Final = 48_000 * 4
WINDOW_S: Final = 0.3
"""Audio analysed on either side of a gap to read the ramp's position."""


@dataclass(frozen=True)
class Gap:
    """The longest silence in a stretch of heard audio: last sound before it, first sound after it."""

    stopped_at: float
    resumed_at: float

    @property
    def seconds(self) -> float:
        return self.resumed_at - self.stopped_at


@dataclass(frozen=True)
class Takeover:
    """A gap on the ramp: how long it was silent and where (in the track) sound stopped and resumed."""

    gap: Gap
    stopped_position_s: float
    resumed_position_s: float
    resume_after_event_s: float

    @property
    def position_lost_s(self) -> float:
        return self.stopped_position_s - self.resumed_position_s

    def describe(self) -> str:
        return (
            f"silent {self.gap.seconds * 1000:.0f} ms, resumed {self.resume_after_event_s * 1000:.0f} ms after the "
            f"event; stopped at {self.stopped_position_s:.2f} s, resumed at {self.resumed_position_s:.2f} s "
            f"(lost {self.position_lost_s * 1000:.0f} ms)"
        )


def longest_gap(heard: HeardAudio, start: float, end: float) -> Gap:
    times = sounding_times(heard, start, end)
    if len(times) < 2:
        raise AssertionError(f"no sound between {start:.2f} and {end:.2f}")
    before, after = max(itertools.pairwise(times), key=lambda pair: pair[1] - pair[0])
    return Gap(before, after)


def pcm_before(heard: HeardAudio, moment: float, seconds: float) -> bytes:
    """The last `seconds` of sounding audio that arrived up to `moment` (inclusive)."""
    wanted = int(seconds * BYTES_PER_SECOND)
    sounding: list[bytes] = []
    collected = 0
    for chunk in reversed(heard.between(None, math.nextafter(moment, math.inf))):
        if collected >= wanted:
            break
        if rms_dbfs(chunk.pcm) > SILENT_DBFS:
            sounding.append(chunk.pcm)
            collected += len(chunk.pcm)
    return b"".join(reversed(sounding))[-wanted:]


def pcm_after(heard: HeardAudio, moment: float, seconds: float) -> bytes:
    """The first `seconds` of sounding audio that arrived from `moment` on."""
    pcm = b"".join(c.pcm for c in heard.between(moment) if rms_dbfs(c.pcm) > SILENT_DBFS)
    return pcm[: int(seconds * BYTES_PER_SECOND)]


def ramp_takeover(heard: HeardAudio, event_at: float, end: float) -> Takeover:
    """The takeover on the ramp around `event_at` (a kill, a signal): the longest silence from just before it.

    The gap is looked for only where a whole analysis window of audio follows it: a fault that causes no silence
    leaves frame-to-frame spacings alone (20 ms give or take), and the largest of those may lie at the very end.
    """
    gap = longest_gap(heard, event_at - 1.0, end - WINDOW_S)
    stopped_freq = dominant_frequency(pcm_before(heard, gap.stopped_at, WINDOW_S))
    resumed_freq = dominant_frequency(pcm_after(heard, gap.resumed_at, WINDOW_S))
    # the frequency of a window is that of its middle: move to its end (stop) or its start (resume)
    stopped = ramp_position_s(stopped_freq) + WINDOW_S / 2
    resumed = ramp_position_s(resumed_freq) - WINDOW_S / 2
    return Takeover(gap, stopped, resumed, gap.resumed_at - event_at)


def log_lines_since(log: str, since_wall: float, needles: tuple[str, ...]) -> list[tuple[float, str]]:
    """(seconds after `since_wall`, line) for log lines that contain one of `needles` (logging's default format)."""
    found = []
    for line in log.splitlines():
        try:
            at = datetime.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()  # noqa: DTZ007 - local
        except ValueError:
            continue
        if at >= since_wall - 0.05 and any(needle in line for needle in needles):
            found.append((at - since_wall, line[24:]))
    return found


TAKEOVER_STEPS: Final = (
    "stopping: handing",
    "claimed guild",
    "voice connecting",
    "voice connected",
    "voice closed",
    "lease lost",
    "fenced out",
    "joining voice channel",
    "forwarded voice credentials",
)


def describe_steps(logs: dict[str, str], since_wall: float) -> str:
    """The takeover's steps from every process's log, in time order (for the printed figures)."""
    steps = [
        (at, f"{name}: {line}")
        for name, log in logs.items()
        for at, line in log_lines_since(log, since_wall, TAKEOVER_STEPS)
    ]
    return "\n".join(f"  +{at * 1000:6.0f} ms  {line[:110]}" for at, line in sorted(steps))


def ramp_position_at(heard: HeardAudio, moment: float) -> float:
    """The ramp position heard just before `moment` (the middle of the last window)."""
    return ramp_position_s(dominant_frequency(pcm_before(heard, moment, WINDOW_S)))
