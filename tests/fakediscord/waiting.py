"""Polling waits used by the scenario API."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class FakeTimeoutError(TimeoutError):
    """A wait helper gave up; the message says what it waited for."""


async def wait_until[T](probe: Callable[[], T | None], timeout: float, what: str, interval: float = 0.01) -> T:  # noqa: ASYNC109
    """Poll ``probe`` until it returns something other than ``None`` or ``False``."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None and value is not False:
            return value
        if time.monotonic() >= deadline:
            raise FakeTimeoutError(f"timed out after {timeout:.1f}s waiting for {what}")
        await asyncio.sleep(interval)
