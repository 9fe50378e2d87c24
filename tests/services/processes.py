"""Real service processes for end-to-end tests: start, wait for a log line, signal (kill -9, SIGTERM, SIGSTOP)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class ServiceProcess:
    """One `python -m <module>` process with its output captured to a log file."""

    name: str
    module: str
    env: Mapping[str, str]
    log_path: Path
    process: asyncio.subprocess.Process | None = None
    _started_at: float = field(default=0.0)

    async def start(self) -> ServiceProcess:
        env = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1"}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", self.module, cwd=ROOT, env=env, stdout=log, stderr=asyncio.subprocess.STDOUT
        )
        log.close()
        self._started_at = time.monotonic()
        return self

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def wait_for_log(self, needle: str, timeout_s: float = 20.0, *, after: int = 0) -> int:
        """Wait until `needle` appears in the log after offset `after`; returns the offset past it."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            text = self.log()
            found = text.find(needle, after)
            if found >= 0:
                return found + len(needle)
            if not self.running:
                raise AssertionError(f"{self.name} exited with {self.returncode()}:\n{text[-3000:]}")
            await asyncio.sleep(0.05)
        raise AssertionError(f"{self.name} did not log {needle!r} in {timeout_s} s:\n{self.log()[-3000:]}")

    def returncode(self) -> int | None:
        return None if self.process is None else self.process.returncode

    def signal(self, signum: signal.Signals) -> None:
        if self.running:
            assert self.process is not None
            self.process.send_signal(signum)

    async def kill(self) -> None:
        """kill -9: no cleanup of any kind."""
        self.signal(signal.SIGKILL)
        await self.wait(5)

    async def terminate(self, timeout_s: float = 15.0) -> int | None:
        self.signal(signal.SIGTERM)
        return await self.wait(timeout_s)

    async def wait(self, timeout_s: float) -> int | None:
        if self.process is None:
            return None
        try:
            return await asyncio.wait_for(self.process.wait(), timeout_s)
        except TimeoutError:
            self.process.kill()
            return await self.process.wait()

    async def close(self) -> None:
        if self.running:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGCONT)
            await self.terminate(10)
