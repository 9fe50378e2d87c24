"""Turns a `FilterChain`, an `Equalizer` and a volume into the one FFmpeg `-af` chain the track's pipeline runs."""

from __future__ import annotations

import math
from typing import Final

from shared.models import Equalizer, FilterChain, FilterPreset
from worker.audio.volume import UNITY_VOLUME, volume_stage

SAMPLE_RATE: Final = 48_000
NIGHTCORE_FACTOR: Final = 1.25
VAPORWAVE_FACTOR: Final = 0.8
# −1 dBFS: headroom for the Opus encoder, whose decoded output can overshoot the limiter's ceiling a little.
LIMITER: Final = "alimiter=limit=0.891:attack=5:release=50:level=disabled"
KARAOKE: Final = "stereotools=mlev=0.015625"
TREMOLO: Final = "tremolo=f=5:d=0.5"
VIBRATO: Final = "vibrato=f=6.5:d=0.5"
EQ_BAND_WIDTH_OCTAVES: Final = 0.67
"""Each band's peaking filter is as wide as the spacing of the bands (about 2/3 octave): a band alone reaches its
gain at its centre and half of it at the neighbouring centres."""
_ATEMPO_MAX: Final = 2.0
_EPSILON: Final = 1e-9


def build_filter_graph(
    chain: FilterChain, volume: int = UNITY_VOLUME, equalizer: Equalizer | None = None
) -> str | None:
    """The `-af` value for these effects, equalizer and volume, or None when nothing applies (passthrough possible).

    Stage order: rate/pitch → mix and tone (karaoke, bass) → equalizer → modulation (tremolo, vibrato) → spatial
    (8d) → volume → limiter. Within a stage the user's preset order is kept. The equalizer works on what is heard
    (after any rate change). The limiter follows anything that can add gain.
    """
    equalizer = equalizer or Equalizer()
    stages = [*_rate_stages(chain), *_tone_stages(chain, equalizer), *_spatial_stages(chain)]
    gain = volume_stage(volume)
    if gain is not None:
        stages.append(gain)
    boosts = FilterPreset.BASSBOOST in chain.presets or any(g > 0 for g in equalizer.gains_db)
    if volume > UNITY_VOLUME or boosts:
        stages.append(LIMITER)
    return ",".join(stages) if stages else None


def _rate_stages(chain: FilterChain) -> list[str]:
    # asetrate relabels the sample rate, changing speed and pitch together; atempo then corrects the tempo so that
    # pitch-only changes keep their length. Overall speed is the model's rate_factor: relabel × tempo.
    relabel = chain.pitch
    if FilterPreset.NIGHTCORE in chain.presets:
        relabel *= NIGHTCORE_FACTOR
    if FilterPreset.VAPORWAVE in chain.presets:
        relabel *= VAPORWAVE_FACTOR
    stages: list[str] = []
    if abs(relabel - 1.0) > _EPSILON:
        rate = round(SAMPLE_RATE * relabel)
        stages += [f"aresample={SAMPLE_RATE}", f"asetrate={rate}", f"aresample={SAMPLE_RATE}"]
    stages += atempo_stages(chain.speed / chain.pitch)
    return stages


def atempo_stages(tempo: float) -> list[str]:
    """`atempo` filters for a tempo factor; factors beyond 0.5–2 are split into equal steps (atempo skips above 2)."""
    if abs(tempo - 1.0) <= _EPSILON:
        return []
    steps = max(1, math.ceil(abs(math.log(tempo)) / math.log(_ATEMPO_MAX) - _EPSILON))
    step = tempo ** (1.0 / steps)
    return [f"atempo={step:.6f}"] * steps


def equalizer_stages(equalizer: Equalizer) -> list[str]:
    """One peaking biquad per band whose gain is not 0 (a flat equalizer adds no stage)."""
    return [f"equalizer=f={hz}:t=o:w={EQ_BAND_WIDTH_OCTAVES:g}:g={gain:g}" for hz, gain in equalizer.bands if gain != 0]


def _tone_stages(chain: FilterChain, equalizer: Equalizer) -> list[str]:
    mix: list[str] = []
    modulation: list[str] = []
    for preset in chain.presets:
        if preset is FilterPreset.KARAOKE:
            mix.append(KARAOKE)
        elif preset is FilterPreset.BASSBOOST:
            mix.append(f"bass=g={chain.bass_gain_db:g}:f=110:w=0.6")
        elif preset is FilterPreset.TREMOLO:
            modulation.append(TREMOLO)
        elif preset is FilterPreset.VIBRATO:
            modulation.append(VIBRATO)
    return mix + equalizer_stages(equalizer) + modulation


def _spatial_stages(chain: FilterChain) -> list[str]:
    if FilterPreset.EIGHT_D in chain.presets:
        return [f"apulsator=hz={chain.rotation_hz:g}"]
    return []
