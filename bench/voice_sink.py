"""Where the audio benchmark's frames go: a sink doing a voice sender's per-frame work, into a UDP black hole."""

from __future__ import annotations

import os
import socket
import struct
from typing import Final

from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_encrypt

_RTP: Final = struct.Struct(">BBHII")


class SenderSink:
    """What a real voice sender does per frame, minus DAVE: RTP header, xchacha20-poly1305 AEAD, UDP sendto."""

    def __init__(self, ssrc: int, target: tuple[str, int]) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.setblocking(False)
        self._target = target
        self._key = os.urandom(32)
        self._ssrc = ssrc
        self._seq = 0
        self._timestamp = 0
        self._nonce = 0
        self.bytes_sent = 0
        self.send_errors = 0

    def send_opus(self, packet: bytes) -> None:
        self._seq = (self._seq + 1) & 0xFFFF
        header = _RTP.pack(0x80, 0x78, self._seq, self._timestamp, self._ssrc)
        self._timestamp = (self._timestamp + 960) & 0xFFFFFFFF
        self._nonce = (self._nonce + 1) & 0xFFFFFFFF
        nonce4 = self._nonce.to_bytes(4, "big")
        sealed = crypto_aead_xchacha20poly1305_ietf_encrypt(packet, header, nonce4 + bytes(20), self._key)
        try:
            self.bytes_sent += self._sock.sendto(header + sealed + nonce4, self._target)
        except BlockingIOError:
            self.send_errors += 1

    def set_speaking(self, on: bool) -> None:
        pass

    def close(self) -> None:
        self._sock.close()


def udp_blackhole() -> socket.socket:
    """A bound UDP socket nobody reads: the kernel drops what overflows it, like a remote server would absorb it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    return sock
