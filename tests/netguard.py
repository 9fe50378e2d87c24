"""Fails any test that looks up a non-loopback name or connects to a non-loopback address.

Registered in tests/conftest.py's `pytest_plugins`. Offending calls raise at once (gaierror / OSError) and are also
recorded, because the code under test may swallow the error (yt-dlp turns it into a TransportError); the test then
fails at teardown, naming the host.
"""

from __future__ import annotations

import errno
import ipaddress
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any, Final

import pytest

LOOPBACK_NAMES: Final = frozenset({"localhost", "localhost.", "ip6-localhost", "ip6-loopback"})


def _text(host: object) -> str | None:
    if host is None:
        return None
    return host.decode() if isinstance(host, bytes) else str(host)


def is_loopback(host: object, *, allow_unspecified: bool = False) -> bool:
    text = _text(host)
    if text is None or text.lower() in LOOPBACK_NAMES:
        return True
    try:
        ip = ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return ip.is_loopback or (allow_unspecified and ip.is_unspecified)


class NetGuard:
    """Wraps socket.getaddrinfo and socket.socket.connect/connect_ex while installed."""

    def __init__(self) -> None:
        self.violations: list[str] = []
        self._lock = threading.Lock()

    def _record(self, what: str) -> None:
        with self._lock:
            self.violations.append(what)

    def wrap_getaddrinfo(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def getaddrinfo(host: object, *args: Any, **kwargs: Any) -> Any:
            if not is_loopback(host, allow_unspecified=True):
                self._record(f"DNS lookup of {host!r}")
                raise socket.gaierror(socket.EAI_NONAME, f"netguard: no DNS in tests ({host!r})")
            return real(host, *args, **kwargs)

        return getaddrinfo

    def wrap_connect(self, real: Callable[..., Any]) -> Callable[..., Any]:
        def connect(sock: socket.socket, address: Any, *args: Any) -> Any:
            if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(address[0]):
                self._record(f"connect to {address!r}")
                raise OSError(errno.ENETUNREACH, f"netguard: no outside connections in tests ({address!r})")
            return real(sock, address, *args)

        return connect


@pytest.fixture(autouse=True)
def netguard(monkeypatch: pytest.MonkeyPatch) -> Iterator[NetGuard]:
    guard = NetGuard()
    monkeypatch.setattr(socket, "getaddrinfo", guard.wrap_getaddrinfo(socket.getaddrinfo))
    monkeypatch.setattr(socket.socket, "connect", guard.wrap_connect(socket.socket.connect))
    monkeypatch.setattr(socket.socket, "connect_ex", guard.wrap_connect(socket.socket.connect_ex))
    yield guard
    if guard.violations:
        pytest.fail("network access outside loopback: " + "; ".join(guard.violations[:5]), pytrace=False)
