"""Resolve jobs of a killed worker run again within seconds, not after arq's `job_timeout + 10 s`.

arq marks a running job with `arq:in-progress:<id>` (TTL: the largest job timeout + 10 s) and never renews it, so
after a kill -9 nobody re-runs the job until the marker expires (70 s here). Each worker therefore records the ids
of its running jobs in `worker:<id>:jobs`; every worker checks the heartbeat table, and for a worker that stopped
beating deletes the markers of its jobs in one script (the job ids are still in arq's queue, so the next poll of
any worker picks them up). Jobs are idempotent (chunk appends are), so even re-running a job of a worker that was
only paused is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Final

from arq.constants import in_progress_key_prefix
from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.clock import now_ms
from shared.keys import Keys
from shared.lua import RESCUE
from shared.redis_typing import aw

_log: Final = logging.getLogger(__name__)

JOBS_TTL_S: Final = 600
"""The jobs set outlives any job (timeouts are 60 s); a dead worker's set is removed when its jobs are rescued."""


class JobRescue:
    """arq hooks that record this worker's running jobs, and the loop that frees the jobs of dead workers."""

    def __init__(self, redis: Redis, keys: Keys, worker_id: str, *, dead_after_ms: int, interval_s: float) -> None:
        self._redis = redis
        self._keys = keys
        self._worker_id = worker_id
        self._dead_after_ms = dead_after_ms
        self._interval_s = interval_s
        self._rescue = redis.register_script(RESCUE)

    async def job_started(self, ctx: dict[str, Any]) -> None:
        """arq's on_job_start: the job is recorded before its function runs."""
        key = self._keys.worker_jobs(self._worker_id)
        with contextlib.suppress(RedisError, OSError):
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.sadd(key, str(ctx["job_id"]))
                pipe.expire(key, JOBS_TTL_S)
                await pipe.execute()

    async def job_ended(self, ctx: dict[str, Any]) -> None:
        """arq's on_job_end (after success, failure, retry or cancellation)."""
        with contextlib.suppress(RedisError, OSError):
            await aw(self._redis.srem(self._keys.worker_jobs(self._worker_id), str(ctx["job_id"])))

    async def run(self) -> None:
        while True:
            try:
                await self.rescue_once()
            except (RedisError, OSError) as exc:
                _log.warning("job rescue failed: %s", exc)
            await asyncio.sleep(self._interval_s)

    async def rescue_once(self) -> int:
        """Free the jobs of every worker whose heartbeat is older than `dead_after_ms`; how many were freed."""
        uptime_s = int((await self._redis.info("server")).get("uptime_in_seconds", 0))
        if uptime_s * 1000 < 2 * self._dead_after_ms:
            return 0  # Redis just restarted: every heartbeat paused with it, nobody is known dead yet
        dead_before = now_ms() - self._dead_after_ms
        silent = await aw(self._redis.zrangebyscore(self._keys.workers(), 0, dead_before))
        freed = 0
        for raw in silent:
            worker_id = raw.decode()
            if worker_id == self._worker_id:
                continue
            keys = [self._keys.workers(), self._keys.worker_jobs(worker_id)]
            count = int(await self._rescue(keys=keys, args=[worker_id, dead_before, in_progress_key_prefix]))
            if count > 0:
                _log.warning("worker %s stopped beating: %d of its jobs will run again", worker_id, count)
                freed += count
        return freed
