"""EBML, the binary format under Matroska and WebM: variable-size integers, element headers, block lacing.

Pure functions over bytes; `WebmOpusDemuxer` (webm.py) drives them. Every malformed input raises `WebmError`.
"""

from __future__ import annotations

from worker.audio.errors import WebmError


def vint(data: bytes | bytearray, pos: int) -> tuple[int, int] | None:
    """An EBML variable-size integer without its marker: (value, length), or None if `data` ends inside it."""
    if pos >= len(data):
        return None
    first = data[pos]
    length = 9 - first.bit_length() if first else 9
    if length > 8:
        raise WebmError("invalid variable-size integer (no length marker)")
    if pos + length > len(data):
        return None
    value = first & (0xFF >> length)
    for byte in data[pos + 1 : pos + length]:
        value = (value << 8) | byte
    return value, length


def element_header(buf: bytearray, pos: int, at: int) -> tuple[int, int | None, int] | None:
    """(element id with its marker, size or None if unknown, header length); None if `buf` ends inside it."""
    if pos >= len(buf):
        return None
    id_length = 9 - buf[pos].bit_length() if buf[pos] else 9
    if id_length > 4:
        raise WebmError(f"invalid element id at byte offset {at + pos}")
    if pos + id_length >= len(buf):
        return None
    element = int.from_bytes(buf[pos : pos + id_length], "big")
    try:
        parsed = vint(buf, pos + id_length)
    except WebmError as error:
        raise WebmError(f"invalid element size at byte offset {at + pos}") from error
    if parsed is None:
        return None
    size, size_length = parsed
    unknown = size == (1 << (7 * size_length)) - 1
    return element, None if unknown else size, id_length + size_length


def children(data: bytes, start: int) -> list[tuple[int, bytes]]:
    """The direct children of a master element read whole; `start` only words errors."""
    buf = bytearray(data)
    out: list[tuple[int, bytes]] = []
    pos = 0
    while pos < len(buf):
        header = element_header(buf, pos, start)
        size = None if header is None else header[1]
        if header is None or size is None or pos + header[2] + size > len(buf):
            raise WebmError(f"malformed element inside the element at byte offset {start}")
        element, _, length = header
        out.append((element, bytes(buf[pos + length : pos + length + size])))
        pos += length + size
    return out


def uint(data: bytes) -> int:
    if len(data) > 8:
        raise WebmError("integer element longer than 8 bytes")
    return int.from_bytes(data, "big")


def first_uint(data: bytes, element: int, start: int) -> int:
    return next((uint(value) for child, value in children(data, start) if child == element), 0)


def unlace(data: bytes, pos: int, flags: int, start: int) -> list[bytes]:
    """The frames of a block body from `pos`: no lacing, Xiph, fixed-size or EBML lacing (Matroska §10.3)."""
    lacing = (flags >> 1) & 3
    if lacing == 0:
        return [data[pos:]]
    if pos >= len(data):
        raise WebmError(f"truncated laced block at byte offset {start}")
    count = data[pos] + 1
    pos += 1
    sizes: list[int] = []
    if lacing == 1:
        sizes = _xiph_lace_sizes(data, pos, count, start)
        pos = sizes.pop()
    elif lacing == 3:
        sizes = _ebml_lace_sizes(data, pos, count, start)
        pos = sizes.pop()
    remaining = len(data) - pos
    if lacing == 2:
        if remaining % count:
            raise WebmError(f"fixed lacing does not divide the block at byte offset {start}")
        sizes = [remaining // count] * (count - 1)
    last = remaining - sum(sizes)
    if last < 0 or any(size < 0 for size in sizes):
        raise WebmError(f"lace sizes exceed the block at byte offset {start}")
    frames: list[bytes] = []
    for size in [*sizes, last]:
        frames.append(data[pos : pos + size])
        pos += size
    return frames


def _xiph_lace_sizes(data: bytes, pos: int, count: int, start: int) -> list[int]:
    """The first count-1 sizes of Xiph lacing (runs of 255 plus a last byte), then the offset after them."""
    sizes: list[int] = []
    for _ in range(count - 1):
        size = 0
        while pos < len(data) and data[pos] == 255:
            size, pos = size + 255, pos + 1
        if pos >= len(data):
            raise WebmError(f"truncated Xiph lacing at byte offset {start}")
        sizes.append(size + data[pos])
        pos += 1
    return [*sizes, pos]


def _ebml_lace_sizes(data: bytes, pos: int, count: int, start: int) -> list[int]:
    """The first count-1 sizes of EBML lacing, then the offset after them (popped by the caller)."""
    parsed = vint(data, pos)
    if parsed is None:
        raise WebmError(f"truncated EBML lacing at byte offset {start}")
    size, length = parsed
    sizes = [size]
    pos += length
    for _ in range(count - 2):
        parsed = vint(data, pos)
        if parsed is None:
            raise WebmError(f"truncated EBML lacing at byte offset {start}")
        raw, length = parsed
        size += raw - ((1 << (7 * length - 1)) - 1)
        sizes.append(size)
        pos += length
    return [*sizes, pos]
