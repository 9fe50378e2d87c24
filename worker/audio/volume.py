"""The volume curve: the user's 0–200 value → gain in dB → FFmpeg filter stages.

The curve is perceptual: every halving of the value halves the perceived loudness, which psychoacoustics puts at
about −10 dB, so

    gain_dB(v) = 10 · log2(v / 100)

    v:     200    150    100    75     50     25     10     1      0
    dB:    +10    +5.8   0      −4.2   −10    −20    −33.2  −66.4  mute

100 is unity (no stage at all, so Opus passthrough stays possible), 0 is an explicit mute, and the quiet end spans
about 66 dB, the range recommended for consumer volume controls. Values above 100 are a boost of up to +10 dB; they
are always followed by a limiter (see `filters.LIMITER`) so a boosted loud track never clips.
"""

from __future__ import annotations

import math
from typing import Final

UNITY_VOLUME: Final = 100
MAX_VOLUME: Final = 200


def volume_gain_db(volume: int) -> float | None:
    """Gain in dB for a 0–200 volume; None means mute (−∞ dB)."""
    if not 0 <= volume <= MAX_VOLUME:
        raise ValueError(f"volume must be within 0..{MAX_VOLUME}, got {volume}")
    if volume == 0:
        return None
    return 10.0 * math.log2(volume / UNITY_VOLUME)


def volume_stage(volume: int) -> str | None:
    """The FFmpeg `volume` filter for this value, or None at unity."""
    if volume == UNITY_VOLUME:
        return None
    gain = volume_gain_db(volume)
    if gain is None:
        return "volume=0"
    return f"volume={gain:.3f}dB"
