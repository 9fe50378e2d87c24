"""Listeners no test may reach, and the outside addresses a hostile redirect points at.

A `Sentinel` listens on a loopback address the tests' URL guard does not allow (the guard allows 127.0.0.1, so
127.0.0.2 and ::1: Linux routes all of 127/8 to the loopback interface) and counts the connections it accepts; a test
asserts the count is 0. The guard cannot allow 127.0.0.1 but forbid one of its ports, so another address stands in for
"a loopback port that is not allow-listed". Outside targets cannot have listeners: for them the in-process clients are
watched by tests/netguard.py and FFmpeg's processes by tests/audio/connect_trace.py.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from types import TracebackType
from typing import Final, Self

METADATA_TARGETS: Final = (
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://[fd00:ec2::254]/latest/meta-data/",
)
PRIVATE_TARGETS: Final = ("http://10.0.0.8/a.mp3", "http://192.168.1.1/a.mp3", "http://[fd00::1]/a.mp3")
OUTSIDE_TARGETS: Final = METADATA_TARGETS + PRIVATE_TARGETS
SENTINEL_HOSTS: Final = ("127.0.0.2", "::1")


class Sentinel:
    """A TCP listener on `host` that accepts and counts connections until closed."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.accepted = 0
        self._sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind((host, 0))
        self._sock.listen(16)
        self.port = int(self._sock.getsockname()[1])
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._accept, name=f"sentinel-{host}", daemon=True)

    def url(self, path: str = "latest/meta-data/") -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/{path}"

    def _accept(self) -> None:
        while not self._closed.is_set():
            ready, _, _ = select.select([self._sock], [], [], 0.05)
            if ready:
                conn, _ = self._sock.accept()
                self.accepted += 1
                conn.close()

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._closed.set()
        self._thread.join(timeout=5)
        with contextlib.suppress(OSError):
            self._sock.close()
