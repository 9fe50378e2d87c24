"""Pure-Python audio measurements on 48 kHz s16le PCM: dominant frequency, RMS and peak level, time windows."""

from __future__ import annotations

import array
import math
from typing import Final

SAMPLE_RATE: Final = 48_000
_SILENCE_DBFS: Final = -120.0


def mono_samples(pcm: bytes, channels: int = 2) -> array.array[int]:
    """The left (first) channel of interleaved s16le PCM."""
    samples = array.array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    return samples[::channels] if channels > 1 else samples


def pcm_window(pcm: bytes, start_s: float, length_s: float, channels: int = 2) -> bytes:
    """``length_s`` seconds of interleaved s16le PCM from ``start_s`` on."""
    frame_bytes = 2 * channels
    begin = round(start_s * SAMPLE_RATE) * frame_bytes
    return pcm[begin : begin + round(length_s * SAMPLE_RATE) * frame_bytes]


def rms_dbfs(pcm: bytes, channels: int = 2) -> float:
    """RMS level in dBFS (full-scale sine ≈ -3 dBFS); -120 for silence or no audio."""
    samples = mono_samples(pcm, channels)
    if not samples:
        return _SILENCE_DBFS
    mean_square = math.fsum(s * s for s in samples) / len(samples)
    if mean_square <= 0:
        return _SILENCE_DBFS
    return 20 * math.log10(math.sqrt(mean_square) / 32768.0)


def peak_dbfs(pcm: bytes, channels: int = 2) -> float:
    """The left channel's peak level in dBFS (full scale = 0 dBFS); -120 for silence or no audio."""
    peak = max((abs(s) for s in mono_samples(pcm, channels)), default=0)
    return 20 * math.log10(peak / 32768.0) if peak > 0 else _SILENCE_DBFS


def peak_sample(pcm: bytes) -> int:
    """The largest absolute s16 sample of any channel."""
    samples = array.array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    return max((abs(s) for s in samples), default=0)


def _decimate(samples: array.array[int], factor: int) -> list[float]:
    """Box-filter and downsample by ``factor`` (cheap anti-aliasing for tone detection)."""
    return [sum(samples[i : i + factor]) / factor for i in range(0, len(samples) - factor + 1, factor)]


def _goertzel_power(samples: list[float], rate: float, freq: float) -> float:
    coeff = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + coeff * s1 - s2, s1
    return s1 * s1 + s2 * s2 - coeff * s1 * s2


def _scan(samples: list[float], rate: float, freqs: list[float]) -> float:
    return max(freqs, key=lambda f: _goertzel_power(samples, rate, f))


def tone_level_db(pcm: bytes, frequency: float, channels: int = 2) -> float:
    """The level of one frequency in the left channel, in dB relative to a full-scale sine at it (0 dB); for
    comparing the same frequency between two takes (spectral leakage of other tones is small over whole seconds)."""
    samples = [float(s) for s in mono_samples(pcm, channels)]
    if not samples:
        return _SILENCE_DBFS
    power = _goertzel_power(samples, SAMPLE_RATE, frequency)
    amplitude = 2 * math.sqrt(max(power, 0.0)) / len(samples) / 32768.0
    return 20 * math.log10(amplitude) if amplitude > 0 else _SILENCE_DBFS


def dominant_frequency(
    pcm: bytes, channels: int = 2, *, low: float = 20.0, high: float = 4000.0, max_seconds: float = 1.0
) -> float:
    """The strongest frequency in [low, high] Hz, to about 0.1 Hz (for a steady tone).

    A coarse Goertzel scan in 10 Hz steps over 0.1 s of decimated audio, then finer scans over longer
    stretches around the peak. At most ``max_seconds`` from the middle of the PCM are analysed.
    """
    samples = mono_samples(pcm, channels)
    keep = int(max_seconds * SAMPLE_RATE)
    if len(samples) > keep:
        start = (len(samples) - keep) // 2
        samples = samples[start : start + keep]
    if len(samples) < SAMPLE_RATE // 10:
        return 0.0
    factor = max(1, int(SAMPLE_RATE // (3 * high)))
    reduced, rate = _decimate(samples, factor), SAMPLE_RATE / factor
    tenth = int(rate / 10)
    mid = len(reduced) // 2
    coarse = reduced[max(0, mid - tenth // 2) : mid + tenth // 2]
    best = _scan(coarse, rate, [low + 10.0 * i for i in range(int((high - low) / 10.0) + 1)])
    half = reduced[max(0, mid - len(reduced) // 4) : mid + len(reduced) // 4]
    best = _scan(half, rate, [best - 10.0 + i for i in range(21)])
    return _scan(reduced, rate, [best - 1.0 + 0.1 * i for i in range(21)])
