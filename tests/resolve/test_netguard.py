"""The test suite's network guard itself: non-loopback lookups and connects raise and are recorded."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from tests.netguard import NetGuard, is_loopback


def test_loopback_names_and_addresses_pass() -> None:
    assert all(is_loopback(host) for host in ("localhost", "127.0.0.1", "127.0.0.2", "::1", b"localhost", None))
    assert not is_loopback("example.com")
    assert not is_loopback("10.0.0.1")
    assert not is_loopback("0.0.0.0")
    assert is_loopback("0.0.0.0", allow_unspecified=True)


def test_a_lookup_outside_loopback_raises_and_is_recorded() -> None:
    guard = NetGuard()
    calls: list[Any] = []
    lookup = guard.wrap_getaddrinfo(lambda host, *args, **kwargs: calls.append(host))
    lookup("localhost", 80)
    with pytest.raises(socket.gaierror):
        lookup("example.com", 80)
    assert calls == ["localhost"]
    assert guard.violations == ["DNS lookup of 'example.com'"]


def test_a_connect_outside_loopback_raises_and_is_recorded() -> None:
    guard = NetGuard()
    connect = guard.wrap_connect(lambda sock, address, *args: None)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        connect(sock, ("127.0.0.1", 9))
        with pytest.raises(OSError, match="netguard"):
            connect(sock, ("93.184.216.34", 80))
    assert guard.violations == ["connect to ('93.184.216.34', 80)"]
