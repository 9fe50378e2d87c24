"""The whole of encore on this machine: redis-server, the gateway, workers, the fake Discord and a media server.

Processes are real (`python -m gateway`, `python -m worker`) and can be killed, stopped or paused by signal.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict, Unpack

from redis.asyncio import Redis

from localdiscord.fake_discord import FakeDiscord
from localdiscord.voice.capture import HeardAudio
from localdiscord.waiting import wait_until_async
from localdiscord.world.interactions import Callback
from localdiscord.world.models import Message
from shared.keys import Keys
from shared.models import PlayerState
from shared.player_store import PlayerStore
from shared.queue_store import QueueStore
from tests.gateway.e2e import GatewayProcess, World, answer, build_world
from tests.media.library import PLUGIN_DIR
from tests.services.processes import ROOT, ServiceProcess

WORKER_READY = "ready"
LEASE_MS = 1500


@dataclass
class Stack:
    fake: FakeDiscord
    world: World
    redis: Redis
    redis_url: str
    logs: Path
    keys: Keys = field(default_factory=Keys)
    gateway: GatewayProcess | None = None
    workers: dict[str, ServiceProcess] = field(default_factory=dict)
    worker_env: Mapping[str, str] = field(default_factory=dict)
    worker_health_ports: Mapping[str, int] = field(default_factory=dict)
    """Workers that serve /metrics (benchmarks scrape them); by name."""
    gateway_health_port: int | None = None
    """Where the gateway serves /metrics, if it should."""
    gateway_env: Mapping[str, str] = field(default_factory=dict)
    """Extra environment of the gateway process (settings a test changes)."""

    def _worker_env(self, name: str) -> dict[str, str]:
        return {
            **self.fake.environment(),
            "ENCORE_REDIS__URL": self.redis_url,
            "ENCORE_WORKER__WORKER_ID": name,
            "ENCORE_WORKER__ALLOWED_HOSTS": "127.0.0.1",
            "ENCORE_SEARCH_PROVIDERS": "localsearch",
            "ENCORE_WORKER__LEASE_MS": str(LEASE_MS),
            "ENCORE_LOG_LEVEL": "INFO",
            "PYTHONPATH": f"{PLUGIN_DIR}:{ROOT}",
            **self.worker_env,
            **({"ENCORE_WORKER__HEALTH_PORT": str(port)} if (port := self.worker_health_ports.get(name)) else {}),
        }

    async def start_gateway(self) -> GatewayProcess:
        if self.gateway is None:
            env = {"ENCORE_GATEWAY__RATE_LIMIT_COMMANDS": "1000", **self.gateway_env}
            if self.gateway_health_port is not None:
                env["ENCORE_GATEWAY__HEALTH_PORT"] = str(self.gateway_health_port)
            self.gateway = GatewayProcess(self.fake, self.redis_url, self.logs / "gateway.log", env)
        await self.gateway.start()
        return self.gateway

    async def start_worker(self, name: str) -> ServiceProcess:
        log = self.logs / f"{name}.log"
        offset = len(log.read_text()) if log.exists() else 0
        worker = await ServiceProcess(name, "worker", self._worker_env(name), log).start()
        await worker.wait_for_log(f"worker {name} {WORKER_READY}", 30, after=offset)
        self.workers[name] = worker
        return worker

    async def close(self) -> None:
        for worker in self.workers.values():
            await worker.close()
        if self.gateway is not None:
            await self.gateway.close()

    # ---- driving ------------------------------------------------------------------------------------------

    async def command(
        self, name: str, options: Mapping[str, object] | None = None, *, subcommand: str | None = None
    ) -> tuple[Callback, Message]:
        return await answer(self.world, name, self.world.alice, options, subcommand=subcommand, timeout_s=20)

    async def state(self) -> PlayerState | None:
        return await PlayerStore(self.redis, self.keys).load(self.world.guild.id)

    async def until_state(self, check: Callable[[PlayerState], bool], timeout_s: float = 20.0) -> PlayerState:
        last: list[PlayerState | None] = [None]

        async def reached() -> PlayerState | None:
            state = last[0] = await self.state()
            return state if state is not None and check(state) else None

        def what() -> str:
            return f"player state; last: {last[0]}\n{self.tail_logs()}"

        return await wait_until_async(reached, timeout_s, what, interval=0.05)

    async def until_history(self, count: int, timeout_s: float = 20.0) -> list[str]:
        """Wait until `count` tracks have finished (history holds them, newest first)."""
        players = PlayerStore(self.redis, self.keys)
        total = [0]

        async def finished() -> list[str] | None:
            page = await players.history(self.world.guild.id, 0, 100)
            total[0] = page.total
            return [item.track.title for item in page.items] if page.total >= count else None

        def what() -> str:
            return f"history of {count}; has {total[0]}\n{self.tail_logs()}"

        return await wait_until_async(finished, timeout_s, what, interval=0.05)

    async def queue_titles(self) -> list[str]:
        items = await QueueStore(self.redis, self.keys).all_items(self.world.guild.id)
        return [item.track.title for item in items]

    async def hear(self, seconds: float, *, timeout_s: float = 30.0, since: float | None = None) -> HeardAudio:
        try:
            return await self.fake.wait_for_audio(self.world.voice, seconds=seconds, timeout=timeout_s, since=since)
        except TimeoutError as exc:
            raise AssertionError(f"no audio heard\n{self.tail_logs()}") from exc

    def heard(self) -> HeardAudio:
        return self.fake.heard(self.world.voice)

    async def owner(self) -> str | None:
        raw = await self.redis.get(self.keys.lease(self.world.guild.id))
        return raw.decode().rpartition("|")[0] if raw else None

    def logs_by_process(self) -> dict[str, str]:
        """Every process's whole log by name ("gateway", worker names)."""
        logs = {name: worker.log() for name, worker in self.workers.items()}
        if self.gateway is not None:
            logs["gateway"] = self.gateway.log()
        return logs

    def tail_logs(self, chars: int = 2500) -> str:
        parts = []
        if self.gateway is not None:
            parts.append(f"--- gateway\n{self.gateway.log()[-chars:]}")
        parts += [f"--- {name}\n{worker.log()[-chars:]}" for name, worker in self.workers.items()]
        return "\n".join(parts)


class StackOptions(TypedDict, total=False):
    """What `started_stack` passes on to `Stack` besides the parts every stack has."""

    worker_env: Mapping[str, str]
    worker_health_ports: Mapping[str, int]
    gateway_health_port: int | None
    gateway_env: Mapping[str, str]


@asynccontextmanager
async def started_stack(
    fake: FakeDiscord, redis: Redis, redis_url: str, logs: Path, *, workers: int = 2, **options: Unpack[StackOptions]
) -> AsyncIterator[Stack]:
    """A stack over a new world (tests/gateway/e2e.py's `build_world`) with the gateway and workers w1..wN started
    side by side; every process closed on exit."""
    stack = Stack(fake, await build_world(fake), redis, redis_url, logs, **options)
    try:
        names = [f"w{index}" for index in range(1, workers + 1)]
        await asyncio.gather(stack.start_gateway(), *(stack.start_worker(name) for name in names))
        yield stack
    finally:
        await stack.close()
