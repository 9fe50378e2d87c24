"""Fixtures for the gateway's Redis-side tests: real Redis, real arq queue, a stand-in resolver worker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from arq.connections import ArqRedis
from arq.worker import Worker, func

from gateway.control_actions import ControlActions
from gateway.deps import Deps, Stores, Streams
from gateway.gate import Gate
from gateway.jobs_client import JobClient
from gateway.play_actions import PlayActions
from gateway.queue_actions import QueueActions
from gateway.redis_client import command_client
from gateway.settings_actions import SettingsActions
from gateway.shards import ShardFilter
from shared import codec
from shared.jobs import JobName
from shared.keys import Keys
from shared.settings import GatewaySettings, RedisSettings
from shared.tasks import TaskOwner
from tests.gateway.support import stand_in_resolve, stand_in_search


@pytest.fixture
def gateway_settings() -> GatewaySettings:
    return GatewaySettings(resolve_wait_s=3.0, rate_limit_commands=1000, rate_limit_window_s=10.0)


@pytest.fixture
async def command_redis(redis_url: str, keys: Keys, redis: object) -> AsyncIterator[ArqRedis]:
    """The gateway's own command client (short timeouts, orjson arq pool); `redis` flushed the database first."""
    client = command_client(RedisSettings(url=redis_url), keys)
    yield client
    await client.aclose(close_connection_pool=True)


@pytest.fixture
async def background() -> AsyncIterator[TaskOwner]:
    owner = TaskOwner()
    yield owner
    await owner.aclose()


@pytest.fixture
def deps(command_redis: ArqRedis, keys: Keys, gateway_settings: GatewaySettings) -> Deps:
    return Deps(
        settings=gateway_settings,
        keys=keys,
        stores=Stores.build(command_redis, keys, gateway_settings, search_prefix="ytsearch"),
        streams=Streams.build(command_redis, keys),
        jobs=JobClient(command_redis, keys),
        shards=ShardFilter.from_settings(gateway_settings),
    )


@pytest.fixture
def gate(deps: Deps) -> Gate:
    return Gate(deps)


@pytest.fixture
def play(deps: Deps, gate: Gate, background: TaskOwner) -> PlayActions:
    return PlayActions(deps, gate, background)


@pytest.fixture
def control(deps: Deps, gate: Gate) -> ControlActions:
    return ControlActions(deps, gate)


@pytest.fixture
def queue(deps: Deps, gate: Gate) -> QueueActions:
    return QueueActions(deps, gate)


@pytest.fixture
def guild_settings(deps: Deps, gate: Gate) -> SettingsActions:
    return SettingsActions(deps, gate)


@pytest.fixture
async def resolver(redis_url: str, keys: Keys) -> AsyncIterator[Worker]:
    """A real arq Worker running the stand-in resolve/search jobs (a fake of the worker, not of the gateway)."""
    pool = command_client(RedisSettings(url=redis_url, socket_timeout_s=5.0), keys)
    worker = Worker(
        functions=[
            func(stand_in_resolve, name=JobName.RESOLVE.value, timeout=30),
            func(stand_in_search, name=JobName.SEARCH.value, timeout=30),
        ],
        redis_pool=pool,
        queue_name=keys.arq_queue(),
        burst=False,
        poll_delay=0.05,
        handle_signals=False,
        keep_result=60,
        job_serializer=codec.dumps,
        job_deserializer=codec.loads,
        ctx={"keys": keys},
    )
    task = asyncio.create_task(worker.async_run())
    yield worker
    await worker.close()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
