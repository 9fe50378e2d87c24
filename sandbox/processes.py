"""The sandbox's encore processes (``python -m gateway``, ``python -m worker``): started, watched for their ready
line, and on the operator's demand killed (SIGKILL: no clean-up at all), stopped (SIGTERM: a worker hands its
guilds off first) or restarted. Output goes to one log file per process."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

STOP_TIMEOUT_S: Final = 15.0


@dataclass
class Service:
    name: str
    module: str
    env: Mapping[str, str]
    log_path: Path
    ready_line: str
    args: tuple[str, ...] = ()
    process: asyncio.subprocess.Process | None = None
    last_signal: str | None = None
    starts: int = 0
    _log_offset: int = field(default=0, repr=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)
    """One operator action at a time: two quick restarts must not leave a process nobody tracks."""

    async def start(self) -> Service:
        async with self._lock:
            if not self.running:
                await self._spawn()
        return self

    async def _spawn(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log_offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                self.module,
                *self.args,
                env={**os.environ, **self.env, "PYTHONUNBUFFERED": "1"},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C in the terminal reaches the sandbox, which stops these in order
            )
        self.last_signal = None
        self.starts += 1

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def ready(self) -> bool:
        """Whether the current process has logged its ready line."""
        if not self.running or not self.log_path.exists():
            return False
        with self.log_path.open("rb") as log:
            log.seek(self._log_offset)
            return self.ready_line.encode() in log.read()

    def state(self) -> str:
        if self.process is None:
            return "not started"
        if self.process.returncode is not None:
            how = f" after {self.last_signal}" if self.last_signal else ""
            return f"exited ({self.process.returncode}){how}"
        return "ready" if self.ready() else "starting"

    async def wait_ready(self, timeout_s: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not self.ready():
            if not self.running:
                raise RuntimeError(f"{self.name} exited ({self.state()}); see {self.log_path}")
            if loop.time() > deadline:
                raise RuntimeError(f"{self.name} was not ready after {timeout_s:.0f} s; see {self.log_path}")
            await asyncio.sleep(0.05)

    def _signal(self, signum: signal.Signals) -> None:
        if self.process is not None and self.running:
            self.last_signal = signum.name
            self.process.send_signal(signum)

    async def kill(self) -> None:
        async with self._lock:
            await self._stop(signal.SIGKILL)

    async def terminate(self) -> None:
        async with self._lock:
            await self._stop(signal.SIGTERM)

    async def restart(self) -> None:
        async with self._lock:
            await self._stop(signal.SIGTERM)
            await self._spawn()

    async def _stop(self, signum: signal.Signals) -> None:
        self._signal(signum)
        await self._wait(STOP_TIMEOUT_S)

    async def _wait(self, timeout_s: float) -> None:
        if self.process is None:
            return
        try:
            await asyncio.wait_for(self.process.wait(), timeout_s)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
