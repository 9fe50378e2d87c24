"""A process that runs only a worker's peer beacon and heartbeat, for tests/worker/test_peers.py to kill and pause.

    python -m tests.worker.beacon_process <redis url> <worker id>

Prints "ready <port> <incarnation>" once the beacon is registered.
"""

from __future__ import annotations

import asyncio
import sys

from redis.asyncio import Redis

from shared import clock
from shared.keys import Keys
from worker.ownership.peers import PeerBeacon


async def main(redis_url: str, worker_id: str) -> None:
    redis = Redis.from_url(redis_url)
    keys = Keys()
    beacon = PeerBeacon(redis, keys, worker_id, host="127.0.0.1", port=0, advertise="127.0.0.1")
    address = await beacon.start()
    sys.stdout.write(f"ready {address.port} {address.incarnation}\n")
    sys.stdout.flush()
    while True:
        await redis.zadd(keys.workers(), {worker_id: clock.now_ms()})
        await asyncio.sleep(0.2)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
