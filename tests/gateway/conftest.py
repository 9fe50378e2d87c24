"""Fixtures for the gateway's Redis-side tests: real Redis, real arq queue, a stand-in resolver worker."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from typing import Final

import pytest
from arq.connections import ArqRedis
from arq.worker import Worker, func
from hypothesis import HealthCheck, settings

from gateway.commands.admission import Gate
from gateway.commands.control import ControlActions
from gateway.commands.issuing import Issuer
from gateway.commands.play import PlayActions
from gateway.commands.queue import QueueActions
from gateway.commands.settings import SettingsActions
from gateway.deps import Deps, Stores, Streams
from gateway.shards import ShardFilter
from gateway.stores.clients import command_client
from gateway.stores.jobs import JobClient
from shared import codec
from shared.jobs import JobName
from shared.keys import Keys
from shared.settings import GatewaySettings, RedisSettings
from shared.tasks import TaskOwner
from tests.gateway.doubles import stand_in_resolve, stand_in_search

SOAK: Final = os.environ.get("HYPOTHESIS_PROFILE") == "soak"
"""`HYPOTHESIS_PROFILE=soak` runs the interaction fuzzing of `test_e2e_fuzz.py` fifty times longer."""
SOAK_FACTOR: Final = 50
settings.register_profile(
    "gateway-fuzz",
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def fuzz_settings(examples: int) -> settings:
    """`examples` in the default suite (the gateway fuzz tests stay at ~170 examples together), x50 in a soak."""
    count = examples * SOAK_FACTOR if SOAK else examples
    return settings(settings.get_profile("gateway-fuzz"), max_examples=count)


def fuzz_timeout_s(examples: int) -> float:
    """The pytest timeout of a fuzz test: generous per example (interactions through a real process)."""
    return 60.0 + examples * (SOAK_FACTOR if SOAK else 1) * 1.0


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
def issuer(deps: Deps) -> Issuer:
    return Issuer(deps.stores.commands, deps.metrics)


@pytest.fixture
def play(deps: Deps, gate: Gate, issuer: Issuer, background: TaskOwner) -> PlayActions:
    return PlayActions(deps, gate, issuer, background)


@pytest.fixture
def control(deps: Deps, gate: Gate, issuer: Issuer) -> ControlActions:
    return ControlActions(deps, gate, issuer)


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
