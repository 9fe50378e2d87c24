"""Witnesses for fencing: every RTP datagram the fake voice servers receive, and every command Redis executes.

`UdpTap` wraps the fake's UDP intake (test instrumentation only) and records (arrival, source, ssrc) of every RTP
packet, so a test can tell which voice session sent audio when. `RedisSpy` runs MONITOR, names each client
connection (workers name theirs `encore-worker:<id>`) and attributes the commands a Lua script runs to the client
that called it, so a test can tell whose writes actually landed. `KeyEvents` records what happened to one key
(keyspace notifications), so a test can tell a lease freed by a script (`del`) from one that expired (`expired`).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Self

from redis.asyncio import Redis

from localdiscord.fake_discord import FakeDiscord

WRITE_COMMANDS: Final = frozenset({
    "SET", "SETEX", "PSETEX", "SETNX", "GETSET", "GETDEL", "MSET", "APPEND", "DEL", "UNLINK", "EXPIRE", "PEXPIRE",
    "PERSIST", "RENAME", "INCR", "INCRBY", "DECR", "DECRBY", "RPUSH", "LPUSH", "RPOP", "LPOP", "LREM", "LSET",
    "LTRIM", "LINSERT", "LMOVE", "RPOPLPUSH", "XADD", "XDEL", "XTRIM", "HSET", "HDEL", "HINCRBY", "ZADD", "ZREM",
    "ZREMRANGEBYSCORE", "ZINCRBY", "SADD", "SREM",
})  # fmt: skip


@dataclass(frozen=True, slots=True)
class RtpArrival:
    at: float
    source: tuple[str, int]
    ssrc: int


@dataclass
class UdpTap:
    fake: FakeDiscord
    arrivals: list[RtpArrival] = field(default_factory=list)
    _restore: list[Callable[[], None]] = field(default_factory=list)

    def __enter__(self) -> Self:
        for server in self.fake.voice_servers:
            udp = server.udp
            original = udp.datagram_received

            def tapped(data: bytes, addr: tuple[Any, int], *rest: Any, original: Any = original) -> None:
                if len(data) >= 12 and data[0] >> 6 == 2 and data[1] & 0x7F == 0x78:  # RTP, Discord's Opus type
                    (ssrc,) = struct.unpack_from(">I", data, 8)
                    self.arrivals.append(RtpArrival(time.monotonic(), (str(addr[0]), int(addr[1])), ssrc))
                original(data, addr, *rest)

            setattr(udp, "datagram_received", tapped)  # noqa: B010 - instrumenting one instance
            self._restore.append(functools.partial(delattr, udp, "datagram_received"))
        return self

    def __exit__(self, *_exc: object) -> None:
        for restore in self._restore:
            restore()

    def sources_of(self, ssrc: int) -> set[tuple[str, int]]:
        return {a.source for a in self.arrivals if a.ssrc == ssrc}

    def from_session(self, ssrc: int, after: float = float("-inf")) -> list[RtpArrival]:
        """Packets sent by the session with `ssrc` (matched by its SSRC or its UDP source address) after `after`."""
        sources = self.sources_of(ssrc)
        return [a for a in self.arrivals if a.at > after and (a.ssrc == ssrc or a.source in sources)]


@dataclass(frozen=True, slots=True)
class Executed:
    at: float
    """Redis' wall clock (time.time())."""
    client: str
    """The connection's name (CLIENT SETNAME), or its address when unnamed."""
    command: str
    via_script: bool


@dataclass
class RedisSpy:
    redis: Redis
    executed: list[Executed] = field(default_factory=list)
    _names: dict[str, str] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        for client in await self.redis.client_list():
            self._names[client["addr"]] = client["name"]
        ready = asyncio.Event()
        self._task = asyncio.create_task(self._watch(ready), name="redis-spy")
        await asyncio.wait_for(ready.wait(), 5)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _watch(self, ready: asyncio.Event) -> None:
        caller = ""
        async with self.redis.monitor() as monitor:
            ready.set()
            async for info in monitor.listen():
                command: str = info["command"]
                if info["client_type"] == "lua":
                    self.executed.append(Executed(info["time"], caller, command, via_script=True))
                    continue
                addr = f"{info['client_address']}:{info['client_port']}"
                if command.upper().startswith("CLIENT SETNAME "):
                    self._names[addr] = command.split(" ", 2)[2]
                caller = self._names.get(addr) or addr
                self.executed.append(Executed(info["time"], caller, command, via_script=False))

    def by(self, client: str, after: float = 0.0) -> list[Executed]:
        return [e for e in self.executed if e.client == client and e.at >= after]

    def writes_by(self, client: str, *, touching: str, after: float = 0.0) -> list[Executed]:
        """Commands that changed data (run directly or inside a script) by `client` whose text mentions `touching`."""
        return [
            e
            for e in self.by(client, after)
            if e.command.split(" ", 1)[0].upper() in WRITE_COMMANDS and touching in e.command
        ]


@dataclass
class KeyEvents:
    """The keyspace notifications of one key, in order: `set`, `del`, `expire`, `expired`, ...

    Turns notifications on for the test's Redis while it runs, and back to what they were after."""

    redis: Redis
    key: str
    seen: list[str] = field(default_factory=list)
    _previous: str = ""
    _task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Self:
        self._previous = (await self.redis.config_get("notify-keyspace-events"))["notify-keyspace-events"]
        await self.redis.config_set("notify-keyspace-events", "Kg$x")
        ready = asyncio.Event()
        self._task = asyncio.create_task(self._listen(ready), name="key-events")
        await asyncio.wait_for(ready.wait(), 5)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.redis.config_set("notify-keyspace-events", self._previous)

    async def _listen(self, ready: asyncio.Event) -> None:
        db = int(self.redis.connection_pool.connection_kwargs.get("db", 0))
        async with self.redis.pubsub() as pubsub:
            await pubsub.subscribe(f"__keyspace@{db}__:{self.key}")
            ready.set()
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if message is not None:
                    self.seen.append(message["data"].decode())
