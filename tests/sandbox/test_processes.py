"""The sandbox's process control (the panel's buttons): real processes, real signals."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sandbox.processes import Service


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[Service]:
    """A process that runs until signalled and logs a ready line (Python's own HTTP server, loopback, any port)."""
    web = Service("web", "http.server", {}, tmp_path / "web.log", "Serving HTTP", ("--bind", "127.0.0.1", "0"))
    try:
        yield await web.start()
    finally:
        await web.kill()


async def test_two_quick_restarts_leave_one_tracked_process(service: Service) -> None:
    first = service.pid
    assert first is not None
    await service.wait_ready(20)
    pids: list[int | None] = []

    async def restart() -> None:
        await service.restart()
        pids.append(service.pid)

    await asyncio.gather(restart(), restart())
    assert service.starts == 3
    assert not alive(first)
    assert pids[0] is not None and pids[0] != pids[1] and not alive(pids[0])
    assert service.running and service.pid == pids[1]
    await service.wait_ready(20)
    assert service.state() == "ready"
    await service.kill()
    assert service.state() == "exited (-9) after SIGKILL"


async def test_start_of_a_running_service_starts_nothing(service: Service) -> None:
    pid = service.pid
    await service.start()
    assert service.pid == pid and service.starts == 1
    await service.terminate()
    assert service.state() == "exited (-15) after SIGTERM"
