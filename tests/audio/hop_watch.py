"""Fixtures that watch for a hop no test may cause, for the audio and the resolver hop tests alike.

Registered in tests/conftest.py's `pytest_plugins`. `sentinels` are listeners on refused loopback addresses
(tests/audio/sentinel.py), `connect_trace` records FFmpeg's and ffprobe's connects (tests/audio/connect_trace.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.audio.connect_trace import ConnectTrace
from tests.audio.sentinel import SENTINEL_HOSTS, Sentinel


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
