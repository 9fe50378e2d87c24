"""Shared helpers of the benchmark scripts: order statistics and the arq worker that runs the real resolver."""

from __future__ import annotations

from arq.connections import ArqRedis
from arq.worker import Worker

from shared import codec
from shared.keys import Keys
from worker.resolve.jobs import RESOLVE_SERVICE_KEY, resolve_functions
from worker.resolve.service import ResolveService


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank quantile `q` (0..1) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def resolve_worker(pool: ArqRedis, keys: Keys, service: ResolveService, *, keep_result_s: int) -> Worker:
    """An arq worker with the production resolve functions and codec, polling briskly for a benchmark."""
    return Worker(
        functions=resolve_functions(),
        redis_pool=pool,
        queue_name=keys.arq_queue(),
        poll_delay=0.05,
        handle_signals=False,
        keep_result=keep_result_s,
        job_serializer=codec.dumps,
        job_deserializer=codec.loads,
        ctx={RESOLVE_SERVICE_KEY: service},
    )
