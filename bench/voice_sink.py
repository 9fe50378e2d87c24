"""Where the audio benchmark's frames go: a sink doing a voice sender's per-frame work, into a UDP black hole."""

from __future__ import annotations

import os
import socket

from worker.voice.rtp import RtpSender


class SenderSink:
    """What the worker's voice sender does per frame, minus DAVE: the worker's `RtpSender` (RTP header,
    xchacha20-poly1305 AEAD, UDP sendto), with the counters nextcord's VoiceClient would keep."""

    def __init__(self, ssrc: int, target: tuple[str, int]) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.setblocking(False)
        self._target = target
        self._key = os.urandom(32)
        self._sender = RtpSender()
        self._ssrc = ssrc
        self._seq = 0
        self._timestamp = 0
        self._nonce = 0
        self.send_errors = 0

    def send_opus(self, packet: bytes) -> None:
        self._seq = (self._seq + 1) & 0xFFFF
        header = (self._seq, self._timestamp, self._ssrc)
        if not self._sender.send(self._sock, self._target, self._key, header, self._nonce, packet):
            self.send_errors += 1
        self._timestamp = (self._timestamp + 960) & 0xFFFFFFFF
        self._nonce = (self._nonce + 1) & 0xFFFFFFFF

    def set_speaking(self, on: bool) -> None:
        pass

    def close(self) -> None:
        self._sock.close()


def udp_blackhole() -> socket.socket:
    """A bound UDP socket nobody reads: the kernel drops what overflows it, like a remote server would absorb it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    return sock
