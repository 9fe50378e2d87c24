"""WebM/Matroska Opus demuxing: bytes in any chunking, timed Opus packets out, with the index a seek needs.

The first piece of the in-process passthrough (no FFmpeg for an Opus source that needs no decoding): a reader
fetches the file over HTTP and feeds it here. The parser is incremental and push-based like `OggOpusDemuxer`, so
one event loop can drive many streams without a thread each, and it never holds more than one element in memory:
the masters it reads through (Segment, Cluster, BlockGroup) are entered, not buffered; elements it has no use for
(attachments, chapters, tags, Void) are skipped as their bytes arrive.

What it keeps for seeking and reconnecting:
- `seek_heads`: where the SeekHead says the top-level elements are (absolute byte offsets), so a reader that fetched
  the head can fetch the Cues with a Range request when they sit at the end of the file (FFmpeg puts them there).
- `cues`: the (time, cluster offset) index once the Cues element has been read.
- `resume_offset()`: the absolute byte offset a Range request should continue from after a dropped connection; the
  parser keeps its place (the enclosing Segment and Cluster, the cluster's time), so nothing is replayed or lost.
- `restart_at(offset)`: parse on from a cluster's offset (a seek), with the head already known.

Malformed input raises `WebmError` with the byte offset; nothing else escapes (property-tested against truncation
and corruption). Only one track is played: the first audio track whose codec is `A_OPUS`.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Final, NamedTuple

from worker.audio.ebml import children, element_header, first_uint, uint, unlace, vint
from worker.audio.errors import WebmError

EBML: Final = 0x1A45DFA3
SEGMENT: Final = 0x18538067
SEEK_HEAD: Final = 0x114D9B74
INFO: Final = 0x1549A966
TRACKS: Final = 0x1654AE6B
CUES: Final = 0x1C53BB6B
CLUSTER: Final = 0x1F43B675
_DOC_TYPE: Final = 0x4282
_SEEK: Final = 0x4DBB
_SEEK_ID: Final = 0x53AB
_SEEK_POSITION: Final = 0x53AC
_TIMECODE_SCALE: Final = 0x2AD7B1
_TRACK_ENTRY: Final = 0xAE
_TRACK_NUMBER: Final = 0xD7
_TRACK_TYPE: Final = 0x83
_CODEC_ID: Final = 0x86
_CODEC_PRIVATE: Final = 0x63A2
_AUDIO: Final = 0xE1
_CHANNELS: Final = 0x9F
_CUE_POINT: Final = 0xBB
_CUE_TIME: Final = 0xB3
_CUE_TRACK_POSITIONS: Final = 0xB7
_CUE_TRACK: Final = 0xF7
_CUE_CLUSTER_POSITION: Final = 0xF1
_TIMECODE: Final = 0xE7
_SIMPLE_BLOCK: Final = 0xA3
_BLOCK_GROUP: Final = 0xA0
_BLOCK: Final = 0xA1

_READ: Final = frozenset({EBML, SEEK_HEAD, INFO, TRACKS, CUES, _TIMECODE, _SIMPLE_BLOCK, _BLOCK})
"""Elements read whole (small, or one block); everything else that is not entered is skipped."""
_ENTERED: Final = frozenset({SEGMENT, CLUSTER, _BLOCK_GROUP})
_TOP_LEVEL: Final = frozenset({SEEK_HEAD, INFO, TRACKS, CUES, CLUSTER, 0x1254C367, 0x1043A770, 0x1941A469, 0xEC})
"""Segment children: one of them ends a Cluster of unknown size (a live stream's)."""
_MAX_ELEMENT: Final = 16 << 20
_MAX_BLOCK: Final = 1 << 20
_DOC_TYPES: Final = (b"webm", b"matroska")
_DEFAULT_SCALE_NS: Final = 1_000_000


class TimedPacket(NamedTuple):
    at_ms: int
    """Presentation time of the packet from the start of the track."""
    data: bytes


@dataclass(frozen=True, slots=True)
class CuePoint:
    at_ms: int
    cluster_offset: int
    """Absolute byte offset of the Cluster that holds `at_ms`."""


@dataclass(slots=True)
class _Open:
    element: int
    end: int | None
    """Absolute end offset; None for an element of unknown size (a live Segment or Cluster)."""


class WebmOpusDemuxer:
    """Incremental WebM parser for one Opus track. `feed` returns the packets completed by the bytes given."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._at = 0
        """Absolute offset of `_buf[0]`."""
        self._skip = 0
        self._open: list[_Open] = []
        self._head_seen = False
        self._segment_data = -1
        self._scale_ns = _DEFAULT_SCALE_NS
        self._track: int | None = None
        self._cluster_time = 0
        self.channels = 0
        self.seek_heads: dict[int, int] = {}
        self.cues: list[CuePoint] = []

    @property
    def ready(self) -> bool:
        """The head is parsed and an Opus track found: `restart_at` may be used from now on."""
        return self._track is not None

    def feed(self, data: bytes) -> list[TimedPacket]:
        out: list[TimedPacket] = []
        if self._skip:
            dropped = min(self._skip, len(data))
            self._skip -= dropped
            self._at += dropped
            data = data[dropped:]
        self._buf += data
        pos = self._simple_blocks(0, out)
        while (end := self._step(pos, out)) is not None:
            pos = self._simple_blocks(end, out)
        if pos:
            del self._buf[: min(pos, len(self._buf))]
            self._at += pos
        return out

    def close(self) -> None:
        """Declare the end of input; raise `WebmError` if it stopped inside an element or before any audio."""
        if self._buf or self._skip:
            raise WebmError(f"stream ends inside an element (at byte offset {self._at})")
        if self._track is None:
            raise WebmError("stream ends before an Opus audio track was declared")
        for element in self._open:
            if element.end is not None and element.end > self._at:
                raise WebmError(f"stream ends inside element 0x{element.element:X} (at byte offset {self._at})")

    def resume_offset(self) -> int:
        """Where a Range request must continue after a dropped connection; bytes of an unfinished element are
        dropped here and fetched again."""
        self._buf.clear()
        self._at += self._skip
        self._skip = 0
        return self._at

    def restart_at(self, offset: int) -> None:
        """Continue from the Cluster at absolute `offset` (a `CuePoint.cluster_offset`): a seek."""
        if not self.ready:
            raise WebmError("cannot seek before the head of the file is parsed")
        if offset < self._segment_data:
            raise WebmError(f"seek offset {offset} lies before the segment's data")
        self._buf.clear()
        self._skip = 0
        self._at = offset
        self._open = [o for o in self._open if o.element == SEGMENT]

    def cluster_for(self, at_ms: int) -> CuePoint | None:
        """The last cue at or before `at_ms` (the Cluster to fetch for a seek), or None without cues."""
        index = bisect.bisect_right([cue.at_ms for cue in self.cues], at_ms) - 1
        return self.cues[index] if index >= 0 else None

    def _simple_blocks(self, pos: int, out: list[TimedPacket]) -> int:
        """The common bytes, fast: the open Cluster's run of unlaced SimpleBlocks of our track from `pos`.

        What `_step` would make of them, without its calls; the offset of the first element it leaves to `_step`
        (anything else, anything malformed, a block not all here yet): `pos` itself when that is the first.
        """
        top = self._open[-1] if self._open else None
        track = self._track
        if top is None or top.element != CLUSTER or track is None or track >= 0x7F:
            return pos
        buf = self._buf
        available = len(buf)
        limit = available if top.end is None else min(available, top.end - self._at)
        track_byte, time, scale = 0x80 | track, self._cluster_time, self._scale_ns
        with memoryview(buf) as view:
            while pos + 6 < limit and buf[pos] == _SIMPLE_BLOCK and (first := buf[pos + 1]):
                length = 9 - first.bit_length()
                size = first & (0xFF >> length)
                for byte in buf[pos + 2 : pos + 1 + length]:
                    size = (size << 8) | byte
                body = pos + 1 + length
                if (
                    size == (1 << (7 * length)) - 1  # unknown size: an error `_step` words
                    or not 4 <= size <= _MAX_BLOCK
                    or body + size > available
                    or buf[body] != track_byte
                    or buf[body + 3] & 0x06  # laced
                ):
                    break
                relative = (buf[body + 1] << 8) | buf[body + 2]
                relative -= (relative & 0x8000) << 1
                if size > 4:  # tuple.__new__: TimedPacket's own __new__ is a Python function, a fifth of this loop
                    at_ms = (time + relative) * scale // 1_000_000
                    out.append(tuple.__new__(TimedPacket, (at_ms, bytes(view[body + 4 : body + size]))))
                pos = body + size
        return pos

    def _step(self, pos: int, out: list[TimedPacket]) -> int | None:
        """Parse the element at `pos` in the buffer; the offset after it, or None when more bytes are needed."""
        header = element_header(self._buf, pos, self._at)
        if header is None:
            return None
        element, size, length = header
        start = self._at + pos
        self._close_finished(start, element)
        if not self._head_seen and element != EBML:
            raise WebmError(f"not a WebM file: no EBML header at byte offset {start}")
        body = pos + length
        if element in _ENTERED:
            self._enter(element, start + length, size)
            return body
        if size is None:
            raise WebmError(f"element 0x{element:X} of unknown size at byte offset {start}")
        if element not in _READ:
            return self._skip_element(body, size)
        limit = _MAX_BLOCK if element in (_SIMPLE_BLOCK, _BLOCK) else _MAX_ELEMENT
        if size > limit:
            raise WebmError(f"element 0x{element:X} of {size} bytes at byte offset {start} is too large")
        if len(self._buf) - body < size:
            return None
        self._read(element, bytes(self._buf[body : body + size]), start, out)
        return body + size

    def _close_finished(self, start: int, element: int) -> None:
        while self._open:
            top = self._open[-1]
            ended = start >= top.end if top.end is not None else top.element == CLUSTER and element in _TOP_LEVEL
            if ended:
                self._open.pop()
            else:
                return

    def _enter(self, element: int, data_start: int, size: int | None) -> None:
        if element == SEGMENT:
            if not self._head_seen or self._segment_data >= 0:
                raise WebmError(f"unexpected Segment at byte offset {data_start}")
            self._segment_data = data_start
        elif self._segment_data < 0:
            raise WebmError(f"element 0x{element:X} outside a Segment at byte offset {data_start}")
        if element == CLUSTER:
            self._cluster_time = 0
        self._open.append(_Open(element, None if size is None else data_start + size))

    def _skip_element(self, body: int, size: int) -> int:
        available = len(self._buf) - body
        if available >= size:
            return body + size
        self._skip = size - available
        return len(self._buf)

    def _read(self, element: int, data: bytes, start: int, out: list[TimedPacket]) -> None:
        if element == EBML:
            self._read_ebml_header(data, start)
        elif element == SEEK_HEAD:
            self._read_seek_head(data, start)
        elif element == INFO:
            scale = first_uint(data, _TIMECODE_SCALE, start)
            self._scale_ns = scale or _DEFAULT_SCALE_NS
        elif element == TRACKS:
            self._read_tracks(data, start)
        elif element == CUES:
            self.cues = _read_cues(data, start, self._segment_data, self._track, self._scale_ns)
        elif element == _TIMECODE:
            self._cluster_time = uint(data)
        elif self._track is None:
            raise WebmError(f"audio block before the track list at byte offset {start}")
        else:
            self._read_block(data, start, out)

    def _read_ebml_header(self, data: bytes, start: int) -> None:
        doc_type = b""
        for element, value in children(data, start):
            if element == _DOC_TYPE:
                doc_type = value.rstrip(b"\0")
        if doc_type not in _DOC_TYPES:
            raise WebmError(f"not a WebM file: document type {doc_type[:20]!r}")
        self._head_seen = True

    def _read_seek_head(self, data: bytes, start: int) -> None:
        for element, seek in children(data, start):
            if element != _SEEK:
                continue
            fields = dict(children(seek, start))
            target, position = fields.get(_SEEK_ID), fields.get(_SEEK_POSITION)
            if target is not None and position is not None:
                self.seek_heads[uint(target)] = self._segment_data + uint(position)

    def _read_tracks(self, data: bytes, start: int) -> None:
        for element, entry in children(data, start):
            if element != _TRACK_ENTRY:
                continue
            fields = dict(children(entry, start))
            if fields.get(_CODEC_ID, b"").rstrip(b"\0") != b"A_OPUS" or uint(fields.get(_TRACK_TYPE, b"")) != 2:
                continue
            self._track = uint(fields.get(_TRACK_NUMBER, b""))
            head = fields.get(_CODEC_PRIVATE, b"")
            audio = dict(children(fields.get(_AUDIO, b""), start))
            self.channels = head[9] if head.startswith(b"OpusHead") and len(head) >= 19 else 0
            self.channels = self.channels or uint(audio.get(_CHANNELS, b"\x02"))
            return
        raise WebmError(f"the track list at byte offset {start} has no Opus audio track")

    def _read_block(self, data: bytes, start: int, out: list[TimedPacket]) -> None:
        parsed = vint(data, 0)
        if parsed is None or len(data) < parsed[1] + 3:
            raise WebmError(f"truncated block at byte offset {start}")
        track, length = parsed
        if track != self._track:
            return
        relative = int.from_bytes(data[length : length + 2], "big", signed=True)
        at_ms = (self._cluster_time + relative) * self._scale_ns // 1_000_000
        out.extend(TimedPacket(at_ms, frame) for frame in unlace(data, length + 3, data[length + 2], start) if frame)


def _read_cues(data: bytes, start: int, segment_data: int, track: int | None, scale_ns: int) -> list[CuePoint]:
    """The cue points, their times in ms (CueTime counts in the segment's timecode scale, like block times)."""
    points: list[CuePoint] = []
    for element, point in children(data, start):
        if element != _CUE_POINT:
            continue
        fields = children(point, start)
        time = next((uint(v) for e, v in fields if e == _CUE_TIME), None)
        for child, value in fields:
            if child != _CUE_TRACK_POSITIONS or time is None:
                continue
            position = dict(children(value, start))
            if track is not None and uint(position.get(_CUE_TRACK, b"")) not in (track, 0):
                continue
            if _CUE_CLUSTER_POSITION in position:
                at_ms = time * scale_ns // 1_000_000
                points.append(CuePoint(at_ms, segment_data + uint(position[_CUE_CLUSTER_POSITION])))
    return sorted(points, key=lambda cue: cue.at_ms)
