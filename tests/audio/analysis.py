"""Test-side audio analysis: libopus decoding (ctypes), Goertzel dominant frequency, RMS and peak levels."""

from __future__ import annotations

import array
import ctypes
import ctypes.util
import math
from collections.abc import Iterable, Sequence
from typing import Final

RATE: Final = 48_000
CHANNELS: Final = 2
MAX_FRAME: Final = 5760
FULL_SCALE: Final = 32768.0


class OpusDecoder:
    """A stereo 48 kHz libopus decoder (independent of the code under test and of nextcord)."""

    def __init__(self) -> None:
        name = ctypes.util.find_library("opus")
        if name is None:
            raise RuntimeError("libopus is not installed")
        lib = ctypes.CDLL(name)
        lib.opus_decoder_create.restype = ctypes.c_void_p
        lib.opus_decoder_create.argtypes = (ctypes.c_int32, ctypes.c_int, ctypes.POINTER(ctypes.c_int))
        lib.opus_decode.restype = ctypes.c_int
        lib.opus_decode.argtypes = (
            ctypes.c_void_p,
            ctypes.c_char_p,
            ctypes.c_int32,
            ctypes.POINTER(ctypes.c_int16),
            ctypes.c_int,
            ctypes.c_int,
        )
        lib.opus_decoder_destroy.argtypes = (ctypes.c_void_p,)
        err = ctypes.c_int(0)
        self._lib = lib
        self._state = lib.opus_decoder_create(RATE, CHANNELS, ctypes.byref(err))
        if err.value != 0:
            raise RuntimeError(f"opus_decoder_create failed: {err.value}")
        self._pcm = (ctypes.c_int16 * (MAX_FRAME * CHANNELS))()

    def decode(self, packet: bytes) -> array.array[int]:
        """Interleaved stereo s16 samples of one packet."""
        n = self._lib.opus_decode(self._state, packet, len(packet), self._pcm, MAX_FRAME, 0)
        if n < 0:
            raise ValueError(f"opus_decode failed: {n}")
        return array.array("h", self._pcm[: n * CHANNELS])

    def close(self) -> None:
        self._lib.opus_decoder_destroy(self._state)


def decode_left(packets: Iterable[bytes]) -> list[float]:
    """Decode packets and return the left channel as floats in −1..1."""
    decoder = OpusDecoder()
    try:
        out: list[float] = []
        for packet in packets:
            samples = decoder.decode(packet)
            out.extend(s / FULL_SCALE for s in samples[0::2])
        return out
    finally:
        decoder.close()


def hann(samples: Sequence[float]) -> list[float]:
    step = 2.0 * math.pi / max(1, len(samples) - 1)
    return [x * (0.5 - 0.5 * math.cos(step * i)) for i, x in enumerate(samples)]


def goertzel_power(windowed: Sequence[float], freq: float, rate: int = RATE) -> float:
    """Power of `freq` in already windowed samples."""
    coeff = 2.0 * math.cos(2.0 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in windowed:
        s1, s2 = x + coeff * s1 - s2, s1
    return s1 * s1 + s2 * s2 - coeff * s1 * s2


def dominant_frequency(samples: Sequence[float], lo: float = 100.0, hi: float = 2000.0, rate: int = RATE) -> float:
    """The strongest frequency in lo..hi: a 10 Hz scan, then 1 Hz and 0.1 Hz refinements around the peak."""
    windowed = hann(samples)
    best = lo
    for step, span in ((10.0, None), (1.0, 10.0), (0.1, 1.0)):
        start, stop = (lo, hi) if span is None else (best - span, best + span)
        count = round((stop - start) / step) + 1
        candidates = [start + k * step for k in range(count)]
        best = max(candidates, key=lambda f: goertzel_power(windowed, f, rate))
    return best


def rms_dbfs(samples: Sequence[float]) -> float:
    power = sum(x * x for x in samples) / max(1, len(samples))
    return 10.0 * math.log10(power) if power > 0 else -math.inf


def peak_dbfs(samples: Sequence[float]) -> float:
    peak = max((abs(x) for x in samples), default=0.0)
    return 20.0 * math.log10(peak) if peak > 0 else -math.inf


def window(samples: Sequence[float], start_s: float, length_s: float, rate: int = RATE) -> Sequence[float]:
    begin = round(start_s * rate)
    return samples[begin : begin + round(length_s * rate)]
