"""A minimal Ogg page writer for parser tests (lacing, continuation flags, CRC as in RFC 3533)."""

from __future__ import annotations

import struct
from typing import Final

OPUS_HEAD: Final = b"OpusHead" + bytes([1, 2]) + struct.pack("<HIhB", 312, 48000, 0, 0)
OPUS_TAGS: Final = b"OpusTags" + struct.pack("<I", 4) + b"test" + struct.pack("<I", 0)


def reference_crc(data: bytes) -> int:
    """Bit-by-bit Ogg CRC-32, the slow textbook way."""
    crc = 0
    for byte in data:
        crc ^= byte << 24
        for _ in range(8):
            crc = ((crc << 1) ^ 0x04C11DB7) if crc & 0x80000000 else crc << 1
            crc &= 0xFFFFFFFF
    return crc


def write_ogg(packets: list[bytes], *, serial: int = 7, max_segments: int = 255, headers: bool = True) -> bytes:
    """Pages holding `packets` (after OpusHead/OpusTags if `headers`), splitting packets across pages as needed."""
    all_packets = [OPUS_HEAD, OPUS_TAGS, *packets] if headers else list(packets)
    segments: list[tuple[bytes, bool]] = []  # (segment data, ends a packet)
    for packet in all_packets:
        for offset in range(0, len(packet) + 1, 255):
            chunk = packet[offset : offset + 255]
            segments.append((chunk, len(chunk) < 255))
            if len(chunk) < 255:
                break
    pages: list[bytes] = []
    continued = False
    for seq, start in enumerate(range(0, len(segments), max_segments)):
        chunk_segments = segments[start : start + max_segments]
        flags = (0x01 if continued else 0) | (0x02 if seq == 0 else 0)
        lacing = bytes(len(data) for data, _ in chunk_segments)
        body = b"".join(data for data, _ in chunk_segments)
        header = struct.pack("<4sBBqIIIB", b"OggS", 0, flags, seq, serial, seq, 0, len(lacing))
        page = bytearray(header + lacing + body)
        struct.pack_into("<I", page, 22, reference_crc(bytes(page)))
        pages.append(bytes(page))
        continued = not chunk_segments[-1][1]
    return b"".join(pages)
