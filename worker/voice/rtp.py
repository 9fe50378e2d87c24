"""One voice packet sealed and sent without letting go of the GIL: the frame clock's per-frame work.

CPython lets go of the GIL around every C call that might block: ``socket.sendto`` and each PyNaCl (cffi) call.
The frame clock's thread makes two such calls per guild per tick, and every one of them hands the interpreter to
the event loop's thread when that thread wants it; taking it back then waits out the switch interval (5 ms). With
the loop busy in Python (a takeover: imports, yt-dlp, JSON, FFmpeg starts) a tick of 20 guilds took 104 ms instead
of 0.2 ms, measured — the clock fell behind although it woke on time. Sealing 200 bytes and a non-blocking UDP
send take microseconds, so :class:`RtpSender` calls libsodium's AEAD and libc's ``sendto`` through
``ctypes.PyDLL``, which keeps the GIL: a tick runs as one piece, and the packet is built in one reused buffer.

The packet is the one nextcord builds for ``aead_xchacha20_poly1305_rtpsize`` (voice_client.py:524-554, the only
mode nextcord offers): a 12-byte RTP header (0x80, 0x78, sequence, timestamp, SSRC), the frame sealed with the header
as associated data and a 24-byte nonce whose first four bytes are a big-endian counter (the rest zero), then those
four bytes. A test compares the two byte for byte.
"""

from __future__ import annotations

import ctypes
import socket
import struct
from functools import cache
from typing import Final, NamedTuple

import nacl._sodium

RTP_MODE: Final = "aead_xchacha20_poly1305_rtpsize"
"""The transport encryption mode this sender implements."""
_HEADER: Final = struct.Struct(">HHII")
"""Version 2 with no padding, extension or CSRC and payload type 120 (0x8078), sequence, timestamp, SSRC."""
_NONCE4: Final = struct.Struct(">I")
_HEADER_LEN: Final = 12
_HEADER_LEN_C: Final = ctypes.c_ulonglong(_HEADER_LEN)
_TAG_LEN: Final = 16
_KEY_LEN: Final = 32
_NONCE_LEN: Final = 24
_BUFFER_LEN: Final = 4096
MAX_FRAME: Final = _BUFFER_LEN - _HEADER_LEN - _TAG_LEN - 4
"""Largest frame one packet carries (an Opus frame is at most 1,275 bytes; DAVE adds a few dozen)."""


class _Native(NamedTuple):
    seal: ctypes._NamedFuncPointer
    sendto: ctypes._NamedFuncPointer


@cache
def _native() -> _Native:
    """libsodium (the copy PyNaCl loaded) and libc, bound once; raises OSError/AttributeError if either is missing.

    No `argtypes`: converting nine arguments through them costs half a microsecond a call, a tenth of the packet.
    `RtpSender` passes every argument whose C type is not `int` as a ctypes object of that exact type (pointers,
    `unsigned long long`, `size_t`) or as `bytes` (`const unsigned char *`), so the call is the same without them.
    """
    seal = ctypes.PyDLL(nacl._sodium.__file__).crypto_aead_xchacha20poly1305_ietf_encrypt
    seal.restype = ctypes.c_int
    sendto = ctypes.PyDLL(None, use_errno=True).sendto
    sendto.restype = ctypes.c_ssize_t
    return _Native(seal, sendto)


def check_native() -> None:
    """Fail at start-up, not on the first frame, when libsodium's AEAD or libc's sendto cannot be bound."""
    _native()


class RtpSender:
    """Seals and sends one connection's voice packets; the caller owns the counters (nextcord's VoiceClient)."""

    __slots__ = (
        "_address",
        "_buffer",
        "_frame_len",
        "_key",
        "_key_source",
        "_nonce",
        "_packet_len",
        "_seal",
        "_sealed_at",
        "_sendto",
        "_sockaddr",
        "_sockaddr_len",
        "last_errno",
    )

    def __init__(self) -> None:
        self._seal, self._sendto = _native()
        self._buffer = ctypes.create_string_buffer(_BUFFER_LEN)
        """The packet; the arrays themselves go to C as pointers to their first byte."""
        self._sealed_at = ctypes.c_void_p(ctypes.addressof(self._buffer) + _HEADER_LEN)
        self._nonce = ctypes.create_string_buffer(_NONCE_LEN)
        self._frame_len = ctypes.c_ulonglong()
        self._packet_len = ctypes.c_size_t()
        self._address: tuple[str, int] | None = None
        self._sockaddr = b""
        self._sockaddr_len = 0
        self._key_source: object = None
        self._key = b""
        self.last_errno = 0

    def send(
        self,
        sock: socket.socket,
        address: tuple[str, int],
        key: bytes | list[int],
        header: tuple[int, int, int],
        nonce: int,
        frame: bytes,
    ) -> bool:
        """Send one packet (``header``: sequence, timestamp, SSRC) to an IPv4 ``address``; False if it was not sent.

        Raises OSError for an address that is not IPv4 and ValueError for a key that is not 32 bytes.
        """
        size = len(frame)
        if size > MAX_FRAME:
            return False
        if key is not self._key_source:
            self._set_key(key)
        if address != self._address:
            self._set_address(address)
        buffer = self._buffer
        _HEADER.pack_into(buffer, 0, 0x8078, *header)
        _NONCE4.pack_into(self._nonce, 0, nonce)
        self._frame_len.value = size
        # The sealed length is always the frame's plus the tag: libsodium is given no pointer to write it to.
        self._seal(self._sealed_at, None, frame, self._frame_len, buffer, _HEADER_LEN_C, None, self._nonce, self._key)
        end = _HEADER_LEN + size + _TAG_LEN
        _NONCE4.pack_into(buffer, end, nonce)
        self._packet_len.value = end + 4
        if self._sendto(sock.fileno(), buffer, self._packet_len, 0, self._sockaddr, self._sockaddr_len) < 0:
            self.last_errno = ctypes.get_errno()
            return False
        return True

    def _set_key(self, key: bytes | list[int]) -> None:
        material = bytes(key)
        if len(material) != _KEY_LEN:
            raise ValueError(f"a voice key is {_KEY_LEN} bytes, not {len(material)}")
        self._key_source, self._key = key, material

    def _set_address(self, address: tuple[str, int]) -> None:
        host, port = address
        packed = socket.inet_pton(socket.AF_INET, host)
        self._sockaddr = struct.pack("=HH4s8x", socket.AF_INET, socket.htons(port), packed)
        self._sockaddr_len = len(self._sockaddr)
        self._address = address
