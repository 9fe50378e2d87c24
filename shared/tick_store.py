"""A worker's per-tick writes: every owned guild's lease renewal and due position checkpoint, in one round trip.

One EVALSHA per guild (the renewal and, when one is due, the checkpoint, each under its own fence token), all of a
worker's guilds in one pipeline. The scripts are called by SHA without redis-py's per-pipeline SCRIPT EXISTS
(a second round trip each tick); a Redis that lost its scripts (a restart) answers NOSCRIPT, and the pipeline is
sent once more after loading it: no script of the failed pipeline ran, so nothing is written twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import NoScriptError

from shared import lua
from shared.keys import Keys
from shared.lease_store import Lease, RenewOutcome
from shared.models import PlayerState


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A player's state to store, fenced by the token of the player that computed it."""

    fence: int
    state: PlayerState


@dataclass(frozen=True, slots=True)
class TickWrite:
    lease: Lease
    checkpoint: Checkpoint | None = None


@dataclass(frozen=True, slots=True)
class TickResult:
    renewal: RenewOutcome
    checkpoint: bool | None
    """True written, False refused (a stale fence token), None when there was none to write."""


class TickStore:
    """Sends a tick's writes of all of a worker's guilds as one pipeline of one script call per guild."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self._redis = redis
        self._keys = keys
        self._script = redis.register_script(lua.RENEW_CHECKPOINT)

    async def write(self, writes: Sequence[TickWrite], ttl_ms: int) -> list[TickResult]:
        if not writes:
            return []
        try:
            replies = await self._send(writes, ttl_ms)
        except NoScriptError:
            await self._redis.script_load(self._script.script)
            replies = await self._send(writes, ttl_ms)
        return [
            TickResult(RenewOutcome(int(renewal)), None if written < 0 else bool(written))
            for renewal, written in replies
        ]

    async def _send(self, writes: Sequence[TickWrite], ttl_ms: int) -> list[list[int]]:
        k = self._keys
        async with self._redis.pipeline(transaction=False) as pipe:
            for write in writes:
                lease, checkpoint = write.lease, write.checkpoint
                gid = lease.guild_id
                token, state = (str(checkpoint.fence), checkpoint.state.model_dump_json()) if checkpoint else ("0", "")
                pipe.evalsha(
                    self._script.sha, 3, k.lease(gid), k.fence(gid), k.player(gid),
                    lease.value, str(ttl_ms), str(lease.fence), token, state,
                )  # fmt: skip
            replies: list[list[int]] = await pipe.execute()
        return replies
