"""Arrival times of datagrams as the kernel saw them, so a busy test process cannot make pacing look worse.

The fake's receiver thread shares the GIL with the code that decrypts and decodes every listener's audio. Under load
(a soak's mass takeover) it can wait long enough that datagrams queue in the socket and would be stamped late, in a
burst, or overflow the socket's buffer and be dropped. The kernel's receive timestamp (SO_TIMESTAMPNS) and a buffer
of seconds of audio keep what the fake reports about encore's pacing about encore.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import time
from typing import Any, Final

SO_TIMESTAMPNS: Final = 35
"""Linux's option number (asm-generic, x86-64 and arm64); Python's socket module does not name it."""
RECEIVE_BUFFER_BYTES: Final = 4 * 1024 * 1024
"""About 16 s of one Opus stream, or 0.3 s of 50 guilds' (the kernel caps it at net.core.rmem_max)."""
_TIMESPEC: Final = struct.Struct("@qq")
_ANCILLARY_BYTES: Final = socket.CMSG_SPACE(_TIMESPEC.size)


def prepare_receiver(sock: socket.socket) -> bool:
    """A larger receive buffer and kernel receive timestamps; False if the kernel does not stamp."""
    with contextlib.suppress(OSError):  # the default buffer still works, it only drops sooner
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    except OSError:
        return False
    return True


def receive_stamped(sock: socket.socket, size: int = 65536) -> tuple[bytes, Any, float]:
    """One datagram, its sender, and when it arrived on `time.monotonic()`'s clock (kernel stamp when present)."""
    data, ancillary, _flags, sender = sock.recvmsg(size, _ANCILLARY_BYTES)
    received, received_wall = time.monotonic(), time.time()  # together: a thread switch between skews the stamp
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(payload) >= _TIMESPEC.size:
            seconds, nanoseconds = _TIMESPEC.unpack_from(payload)
            waited = max(0.0, received_wall - (seconds + nanoseconds / 1e9))
            return data, sender, received - waited
    return data, sender, received
