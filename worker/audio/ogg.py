"""Ogg/Opus demuxing: pages in, bare Opus audio packets out (OpusHead/OpusTags never leave this module)."""

from __future__ import annotations

import struct
import zlib
from typing import Final

from worker.audio.errors import OggError

_CAPTURE: Final = b"OggS"
_HEADER: Final = struct.Struct("<4sBBqIIIB")
_CRC_OFFSET: Final = 22
_FLAG_CONTINUED: Final = 0x01
_FLAG_BOS: Final = 0x02
_OPUS_HEAD: Final = b"OpusHead"
_OPUS_TAGS: Final = b"OpusTags"
_MAX_PACKET: Final = 1 << 20
_BIT_REVERSE: Final = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))

# Header state of the current logical stream.
_WANT_HEAD: Final = 0
_WANT_TAGS: Final = 1
_AUDIO: Final = 2


def ogg_crc(data: bytes | bytearray) -> int:
    """Ogg's CRC-32 (poly 0x04C11DB7, unreflected, init 0, no final xor), computed at C speed.

    zlib implements the reflected variant; feeding it bit-reversed bytes with a zero internal start value yields the
    bit-reversed unreflected CRC, so one `translate` and one `crc32` replace a per-byte Python loop.
    """
    reflected = zlib.crc32(data.translate(_BIT_REVERSE), 0xFFFFFFFF) ^ 0xFFFFFFFF
    return int(f"{reflected:032b}"[::-1], 2)


class OggOpusDemuxer:
    """Incremental Ogg/Opus parser: `feed` bytes in any chunking, get the completed audio packets.

    Packets spanning pages are joined. The two header packets of every logical stream are validated and dropped.
    Pages of other logical streams (never produced by our FFmpeg invocations) are ignored.
    """

    def __init__(self, *, verify_crc: bool = True) -> None:
        self._buf = bytearray()
        self._partial = bytearray()
        self._verify_crc = verify_crc
        self._serial: int | None = None
        self._state = _WANT_HEAD
        self._consumed = 0
        self.pages = 0
        self.channels = 0

    def feed(self, data: bytes) -> list[bytes]:
        """Parse as many whole pages as `data` completes; raise `OggError` on malformed input."""
        self._buf += data
        out: list[bytes] = []
        pos = 0
        while (end := self._parse_page(pos, out)) is not None:
            pos = end
        if pos:
            del self._buf[:pos]
            self._consumed += pos
        return out

    def resume_offset(self) -> int:
        """Where a Range request continues after a dropped connection: the end of the last whole page. A page cut
        off is dropped and fetched again; a packet continued from the last whole page stays open for the next."""
        self._buf.clear()
        return self._consumed

    def close(self) -> None:
        """Declare end of input; raise `OggError` if it stopped inside a page or a packet."""
        if self._buf:
            raise OggError(f"stream ends inside a page ({len(self._buf)} stray bytes at offset {self._consumed})")
        if self._partial:
            raise OggError("stream ends inside a packet that was to continue on a next page")
        if self._serial is not None and self._state != _AUDIO:
            raise OggError("stream ends before its OpusHead/OpusTags headers were complete")

    def _parse_page(self, pos: int, out: list[bytes]) -> int | None:
        buf = self._buf
        if len(buf) - pos < _HEADER.size:
            return None
        fields: tuple[bytes, int, int, int, int, int, int, int] = _HEADER.unpack_from(buf, pos)
        capture, version, flags, _granule, serial, _seq, crc, nseg = fields
        if capture != _CAPTURE or version != 0:
            raise OggError(f"lost sync: no Ogg page at byte offset {self._consumed + pos}")
        body: int = pos + _HEADER.size + nseg
        if len(buf) < body:
            return None
        lacing = buf[pos + _HEADER.size : body]
        end: int = body + sum(lacing)
        if len(buf) < end:
            return None
        if self._verify_crc:
            self._check_crc(pos, end, crc)
        self.pages += 1
        if flags & _FLAG_BOS:
            self._begin_stream(serial)
        if serial == self._serial:
            self._split_packets(flags, lacing, body, out)
        return end

    def _check_crc(self, pos: int, end: int, expected: int) -> None:
        page = bytearray(self._buf[pos:end])
        page[_CRC_OFFSET : _CRC_OFFSET + 4] = b"\0\0\0\0"
        if ogg_crc(page) != expected:
            raise OggError(f"bad page checksum at byte offset {self._consumed + pos}")

    def _begin_stream(self, serial: int) -> None:
        if self._partial:
            raise OggError("a new logical stream begins inside an unfinished packet")
        self._serial = serial
        self._state = _WANT_HEAD

    def _split_packets(self, flags: int, lacing: bytearray, body: int, out: list[bytes]) -> None:
        if not flags & _FLAG_CONTINUED and self._partial:
            raise OggError("page does not continue the packet left open by the previous page")
        # A continuation with nothing open comes from joining a stream mid-packet: drop that fragment.
        orphan = bool(flags & _FLAG_CONTINUED) and not self._partial
        start = offset = body
        for lace in lacing:
            offset += lace
            if lace < 255:
                if orphan:
                    orphan = False
                else:
                    self._emit(start, offset, out)
                start = offset
        if start < offset:
            if not orphan:
                self._partial += self._buf[start:offset]
            if len(self._partial) > _MAX_PACKET:
                raise OggError("packet larger than 1 MiB: not an Opus stream")

    def _emit(self, start: int, end: int, out: list[bytes]) -> None:
        if self._partial:
            self._partial += self._buf[start:end]
            packet = bytes(self._partial)
            self._partial.clear()
        else:
            packet = bytes(self._buf[start:end])
        if self._state == _AUDIO:
            if packet:
                out.append(packet)
        elif self._state == _WANT_HEAD:
            if not packet.startswith(_OPUS_HEAD) or len(packet) < 19:
                raise OggError("not an Ogg Opus stream: first packet is not an OpusHead header")
            self.channels = packet[9]
            self._state = _WANT_TAGS
        else:
            if not packet.startswith(_OPUS_TAGS):
                raise OggError("Ogg Opus stream lacks its OpusTags header")
            self._state = _AUDIO


def opus_packet_samples(packet: bytes) -> int:
    """Duration of one Opus packet in 48 kHz samples, from its TOC byte (RFC 6716 §3.1); 0 if malformed."""
    if not packet:
        return 0
    toc = packet[0]
    config = toc >> 3
    if config < 12:
        frame = (480, 960, 1920, 2880)[config & 3]
    elif config < 16:
        frame = (480, 960)[config & 1]
    else:
        frame = (120, 240, 480, 960)[config & 3]
    code = toc & 3
    if code == 0:
        count = 1
    elif code < 3:
        count = 2
    elif len(packet) < 2:
        return 0
    else:
        count = packet[1] & 0x3F
    return frame * count
