"""Polling waits: the one poll-until helper of the fake Discord and of every test that waits for a condition.

A probe is polled every ``interval`` seconds until it returns something other than ``None`` or ``False`` (that value
is returned), or until ``timeout`` seconds have passed (``FakeTimeoutError``, saying what was awaited). ``what`` may
be a callable, for a message that reports the state at the moment of giving up (last value, service logs).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


class FakeTimeoutError(TimeoutError):
    """A wait helper gave up; the message says what it waited for."""


async def wait_until_async[T](
    probe: Callable[[], Awaitable[T | None]],
    timeout: float,  # noqa: ASYNC109 - a poll, not an operation to cancel
    what: str | Callable[[], str],
    interval: float = 0.01,
) -> T:
    """Await ``probe`` until it returns something other than ``None`` or ``False``."""
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if value is not None and value is not False:
            return value
        if time.monotonic() >= deadline:
            described = what if isinstance(what, str) else what()
            raise FakeTimeoutError(f"timed out after {timeout:.1f}s waiting for {described}")
        await asyncio.sleep(interval)


async def wait_until[T](
    probe: Callable[[], T | None],
    timeout: float,  # noqa: ASYNC109 - a poll, not an operation to cancel
    what: str | Callable[[], str],
    interval: float = 0.01,
) -> T:
    """Call ``probe`` until it returns something other than ``None`` or ``False``."""

    async def call() -> T | None:
        return probe()

    return await wait_until_async(call, timeout, what, interval)
