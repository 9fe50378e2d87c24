"""The test signal a client sends the fake: a stereo sine or sweep as 48 kHz s16le PCM, and as 20 ms Opus frames.

The fake's own tests analyse the PCM (voice/audio_analysis.py) and send the frames over RTP (clients/raw.py);
encore's voice and chaos tests use the same signal rather than a copy of it.
"""

from __future__ import annotations

import array
import math
from collections.abc import Callable
from typing import Final

from nextcord.opus import Encoder

from localdiscord.voice.opus_codec import CHANNELS, SAMPLE_RATE

FRAME_SAMPLES: Final = SAMPLE_RATE // 50
"""Samples per channel in one 20 ms frame."""
FRAME_BYTES: Final = FRAME_SAMPLES * CHANNELS * 2


def sweep_pcm(cycles: Callable[[float], float], seconds: float, amplitude: int = 12_000) -> bytes:
    """``sin(2π · cycles(t))`` for ``seconds``, both channels alike, peaking at ``amplitude`` (of 32767)."""
    samples = array.array("h")
    for index in range(round(seconds * SAMPLE_RATE)):
        value = round(amplitude * math.sin(2 * math.pi * cycles(index / SAMPLE_RATE)))
        samples.extend([value] * CHANNELS)
    return samples.tobytes()


def tone_pcm(frequency: float = 440.0, seconds: float = 1.0, amplitude: int = 12_000) -> bytes:
    """A sine at ``frequency``; see ``sweep_pcm``."""
    return sweep_pcm(lambda t: frequency * t, seconds, amplitude)


def pcm_frames(pcm: bytes) -> list[bytes]:
    """``pcm`` cut into 20 ms frames; a short tail is dropped."""
    return [pcm[start : start + FRAME_BYTES] for start in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES)]


def opus_frames(pcm: bytes) -> list[bytes]:
    """``pcm``'s 20 ms frames, each encoded with libopus (nextcord's encoder)."""
    encoder = Encoder()
    return [encoder.encode(frame, FRAME_SAMPLES) for frame in pcm_frames(pcm)]


def tone_frames(frequency: float = 440.0, seconds: float = 1.0, amplitude: int = 12_000) -> list[bytes]:
    """A sine at ``frequency`` as Opus frames, ``seconds / 0.02`` of them."""
    return opus_frames(tone_pcm(frequency, seconds, amplitude))
