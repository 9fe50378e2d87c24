"""A real redis-server process for tests: started on a free port, ready when PING answers."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from redis import Redis as SyncRedis
from redis.exceptions import ConnectionError as RedisConnectionError


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_cluster_port() -> int:
    """A free port whose cluster bus port (port + 10000) is free too."""
    while True:
        port = free_port()
        if port + 10_000 <= 65_535 and _bindable(port + 10_000):
            return port


def redis_binary() -> str:
    binary = os.environ.get("ENCORE_REDIS_SERVER_BIN") or shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed; the README's test command installs it")
    return binary


@dataclass
class RedisServer:
    """One redis-server; `appendonly` keeps an AOF in `data_dir` for restart tests; `cluster` makes it a Redis Cluster
    node (with no slots until it is given some)."""

    data_dir: Path
    port: int = 0
    appendonly: bool = False
    cluster: bool = False
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout_s: float = 10.0) -> Self:
        if self.port == 0:
            self.port = free_cluster_port() if self.cluster else free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        args = [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.data_dir)]
        args += ["--save", "", "--daemonize", "no", "--logfile", str(self.data_dir / "redis.log")]
        if self.appendonly:
            args += ["--appendonly", "yes", "--appendfsync", "everysec"]
        else:
            args += ["--appendonly", "no"]
        if self.cluster:
            args += ["--cluster-enabled", "yes", "--cluster-config-file", str(self.data_dir / "nodes.conf")]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_ready(timeout_s)
        return self

    def _wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                with SyncRedis.from_url(self.url, socket_timeout=0.5) as client:
                    if client.ping():
                        return
            except RedisConnectionError:
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(f"redis-server exited with {self.process.returncode}") from None
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.01)

    def stop(self, *, kill: bool = False) -> None:
        if self.process is None:
            return
        if kill:
            self.process.kill()
        else:
            self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None

    async def astop(self, *, kill: bool = False) -> None:
        await asyncio.to_thread(self.stop, kill=kill)
