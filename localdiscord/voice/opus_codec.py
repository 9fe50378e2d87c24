"""A minimal libopus decoder through ctypes (48 kHz stereo s16le), independent of nextcord."""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
from collections.abc import Iterable
from typing import Final

SAMPLE_RATE: Final = 48_000
CHANNELS: Final = 2
_MAX_FRAME: Final = 5760  # 120 ms at 48 kHz


class OpusDecodeError(RuntimeError):
    """libopus refused a packet."""


@functools.cache
def _load() -> ctypes.CDLL:
    lib = ctypes.CDLL(ctypes.util.find_library("opus") or "libopus.so.0")
    lib.opus_decoder_create.argtypes = [ctypes.c_int32, ctypes.c_int, ctypes.POINTER(ctypes.c_int)]
    lib.opus_decoder_create.restype = ctypes.c_void_p
    lib.opus_decode.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.c_int32,
        ctypes.POINTER(ctypes.c_int16),
        ctypes.c_int,
        ctypes.c_int,
    ]
    lib.opus_decode.restype = ctypes.c_int
    lib.opus_decoder_destroy.argtypes = [ctypes.c_void_p]
    lib.opus_decoder_destroy.restype = None
    return lib


class OpusDecoder:
    """One decoder per incoming stream; ``decode`` returns interleaved stereo s16le PCM."""

    def __init__(self) -> None:
        self._libref = _load()
        error = ctypes.c_int()
        self._state: int | None = self._libref.opus_decoder_create(SAMPLE_RATE, CHANNELS, ctypes.byref(error))
        if error.value != 0 or not self._state:
            raise OpusDecodeError(f"opus_decoder_create failed: {error.value}")
        self._buffer = (ctypes.c_int16 * (_MAX_FRAME * CHANNELS))()

    def decode(self, packet: bytes) -> bytes:
        samples = self._libref.opus_decode(self._state, packet, len(packet), self._buffer, _MAX_FRAME, 0)
        if samples < 0:
            raise OpusDecodeError(f"opus_decode failed: {samples}")
        return bytes(memoryview(self._buffer).cast("B")[: samples * CHANNELS * 2])

    def close(self) -> None:
        if self._state is not None:
            self._libref.opus_decoder_destroy(self._state)
            self._state = None


def decode_packets(packets: Iterable[bytes]) -> bytes:
    """Interleaved stereo s16le PCM of ``packets``, decoded in order by one decoder (as one stream)."""
    decoder = OpusDecoder()
    try:
        return b"".join(decoder.decode(packet) for packet in packets)
    finally:
        decoder.close()
