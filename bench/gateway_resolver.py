"""The worker's real resolver (ResolveService + arq Worker) as its own process, for the gateway benchmark.

    BENCH_REDIS_URL=redis://... BENCH_MEDIA_BASE=http://127.0.0.1:PORT python -m bench.gateway_resolver

Runs until SIGTERM/SIGINT. Kept out of the benchmark's own process so yt-dlp's threads do not share a GIL with the
fake Discord that timestamps the interaction acknowledgements.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

from arq.connections import RedisSettings, create_pool
from redis.asyncio import Redis

from bench.resolver import resolve_service, resolve_worker
from shared import codec
from shared.keys import Keys
from tests.media.library import PLUGIN_DIR


async def serve(redis_url: str, media_base: str) -> None:
    keys = Keys()
    redis = Redis.from_url(redis_url)
    pool = await create_pool(
        RedisSettings.from_dsn(redis_url), job_serializer=codec.dumps, job_deserializer=codec.loads
    )
    service = resolve_service(redis, pool, keys, media_base)
    await service.start()
    worker = resolve_worker(pool, keys, service, keep_result_s=60)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    task = asyncio.create_task(worker.main())
    print("resolver ready", flush=True)
    await stop.wait()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await worker.close()
    service.close()
    await redis.aclose()


if __name__ == "__main__":
    sys.path.insert(0, str(PLUGIN_DIR))
    asyncio.run(serve(os.environ["BENCH_REDIS_URL"], os.environ["BENCH_MEDIA_BASE"]))
