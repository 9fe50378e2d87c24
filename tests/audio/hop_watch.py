"""What the audio and the resolver hop tests alike watch a hop through: fixtures and the check that none got out.

Registered in tests/conftest.py's `pytest_plugins`. `sentinels` are listeners on refused loopback addresses
(tests/audio/sentinel.py), `connect_trace` records FFmpeg's and ffprobe's connects (tests/audio/connect_trace.py),
`proxy` is the worker's guarded proxy the hops are sent through; `no_hop_reached` asserts that no sentinel took a
connection and, given a trace, that no traced process connected outside.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.audio.connect_trace import ConnectTrace
from tests.audio.sentinel import SENTINEL_HOSTS, Sentinel
from worker.resolve.guard import UrlGuard
from worker.resolve.proxy import GuardedProxy


@pytest.fixture
def sentinels() -> Iterator[dict[str, Sentinel]]:
    """A listener on each loopback address the URL guard refuses; no test may leave one with a connection."""
    with contextlib.ExitStack() as stack:
        yield {host: stack.enter_context(Sentinel(host)) for host in SENTINEL_HOSTS}


@pytest.fixture
def connect_trace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ConnectTrace:
    """FFmpeg and ffprobe, started by name, run under strace for this test."""
    trace = ConnectTrace(tmp_path / "trace")
    trace.install(monkeypatch)
    return trace


@pytest.fixture
async def proxy() -> AsyncIterator[GuardedProxy]:
    """The worker's guarded proxy, with the tests' allow-list (127.0.0.1)."""
    async with GuardedProxy(UrlGuard(("127.0.0.1",))) as running:
        yield running


def no_hop_reached(sentinels: dict[str, Sentinel], trace: ConnectTrace | None = None) -> None:
    """No sentinel accepted a connection; with `trace`, no traced FFmpeg or ffprobe connected outside."""
    assert {host: s.accepted for host, s in sentinels.items()} == dict.fromkeys(sentinels, 0)
    if trace is not None:
        assert trace.outside() == []
