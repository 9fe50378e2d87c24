"""A minimal WebM writer for parser tests: elements, blocks with each lacing, unknown sizes as a live stream has."""

from __future__ import annotations

import itertools
from typing import Final

from tests.audio.oggwrite import OPUS_HEAD

UNKNOWN: Final = -1


def vint(value: int, length: int = 8) -> bytes:
    """`value` as an EBML variable-size integer of `length` bytes (its marker bit set)."""
    return ((1 << (7 * length)) | value).to_bytes(length, "big")


def element(element_id: int, payload: bytes, *, size: int | None = None) -> bytes:
    """One element; `size=UNKNOWN` writes the all-ones size of a live stream's Segment or Cluster."""
    id_bytes = element_id.to_bytes((element_id.bit_length() + 7) // 8, "big")
    if size == UNKNOWN:
        return id_bytes + b"\x01\xff\xff\xff\xff\xff\xff\xff" + payload
    return id_bytes + vint(len(payload) if size is None else size) + payload


def uint(element_id: int, value: int) -> bytes:
    return element(element_id, value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big"))


def head(*, codec: bytes = b"A_OPUS", doc_type: bytes = b"webm", scale_ns: int = 1_000_000) -> bytes:
    """EBML header, then the start of a Segment of unknown size with Info and one audio track (number 1)."""
    ebml = element(0x1A45DFA3, element(0x4282, doc_type))
    entry = uint(0xD7, 1) + uint(0x83, 2) + element(0x86, codec) + element(0x63A2, OPUS_HEAD)
    tracks = element(0x1654AE6B, element(0xAE, entry))
    info = element(0x1549A966, uint(0x2AD7B1, scale_ns))
    return ebml + element(0x18538067, info + tracks, size=UNKNOWN)


def block(relative_ms: int, frames: list[bytes], *, lacing: str = "none", track: int = 1) -> bytes:
    """A SimpleBlock of `frames` with `lacing` one of none, xiph, fixed, ebml (Matroska's four)."""
    flags = {"none": 0x80, "xiph": 0x82, "fixed": 0x84, "ebml": 0x86}[lacing]
    body = vint(track, 1) + relative_ms.to_bytes(2, "big", signed=True) + bytes([flags])
    if lacing == "none":
        body += frames[0]
    else:
        body += bytes([len(frames) - 1]) + _lace_sizes(frames, lacing) + b"".join(frames)
    return element(0xA3, body)


def _lace_sizes(frames: list[bytes], lacing: str) -> bytes:
    if lacing == "fixed":
        return b""
    if lacing == "xiph":
        return b"".join(b"\xff" * (len(f) // 255) + bytes([len(f) % 255]) for f in frames[:-1])
    sizes = vint(len(frames[0]), 2)
    for previous, frame in itertools.pairwise(frames[:-1]):
        sizes += vint(len(frame) - len(previous) + (1 << 13) - 1, 2)
    return sizes


def cluster(time_ms: int, blocks: list[bytes], *, live: bool = False) -> bytes:
    return element(0x1F43B675, uint(0xE7, time_ms) + b"".join(blocks), size=UNKNOWN if live else None)


def cues(points: list[tuple[int, int]]) -> bytes:
    """A Cues element: (time in the segment's timecode scale, cluster position from the segment's data) for track 1."""
    body = b""
    for time, position in points:
        body += element(0xBB, uint(0xB3, time) + element(0xB7, uint(0xF7, 1) + uint(0xF1, position)))
    return element(0x1C53BB6B, body)
