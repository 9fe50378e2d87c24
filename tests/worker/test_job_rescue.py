"""JobRescue against a real redis-server: the jobs of a worker that stopped beating are freed for arq, once."""

from __future__ import annotations

import asyncio
import time

from arq.constants import in_progress_key_prefix
from redis.asyncio import Redis

from shared.keys import Keys
from shared.redis_typing import aw
from worker.ownership.job_rescue import JobRescue

DEAD_AFTER_MS = 500


async def _settled(redis: Redis) -> None:
    while int((await redis.info("server"))["uptime_in_seconds"]) * 1000 < 2 * DEAD_AFTER_MS:  # noqa: ASYNC110
        await asyncio.sleep(0.1)


async def test_a_silent_workers_jobs_are_freed_and_a_live_workers_are_not(redis: Redis, keys: Keys) -> None:
    await _settled(redis)
    rescuer = JobRescue(redis, keys, "me", dead_after_ms=DEAD_AFTER_MS, interval_s=0.1)
    dead, alive = JobRescue(redis, keys, "dead", dead_after_ms=DEAD_AFTER_MS, interval_s=0.1), "alive"
    now_ms = int(time.time() * 1000)
    await redis.zadd(keys.workers(), {"dead": now_ms - 5000, alive: now_ms, "me": now_ms})
    await dead.job_started({"job_id": "ingest:r:3"})
    await aw(redis.sadd(keys.worker_jobs(alive), "ingest:r:4"))
    for job in ("ingest:r:3", "ingest:r:4"):
        await redis.set(in_progress_key_prefix + job, b"1", px=70_000)

    assert await rescuer.rescue_once() == 1
    assert not await redis.exists(in_progress_key_prefix + "ingest:r:3"), "arq's next poll runs it again"
    assert await redis.exists(in_progress_key_prefix + "ingest:r:4"), "a live worker's job is left alone"
    assert not await redis.exists(keys.worker_jobs("dead"))
    assert await redis.zscore(keys.workers(), "dead") is None
    assert await rescuer.rescue_once() == 0, "rescued once: a second pass finds nothing to free"


async def test_finished_jobs_are_forgotten(redis: Redis, keys: Keys) -> None:
    rescue = JobRescue(redis, keys, "w1", dead_after_ms=DEAD_AFTER_MS, interval_s=0.1)
    await rescue.job_started({"job_id": "a"})
    await rescue.job_started({"job_id": "b"})
    await rescue.job_ended({"job_id": "a"})
    assert await aw(redis.smembers(keys.worker_jobs("w1"))) == {b"b"}
    assert await redis.ttl(keys.worker_jobs("w1")) > 0
