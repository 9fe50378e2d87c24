"""Fixtures for the gateway's Redis-side tests: real Redis, real arq queue, a stand-in resolver worker, and the
gateway's commands built from them as `gateway.app` builds them."""

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
from gateway.commands.play import PlayActions, Suggestions
from gateway.commands.queue import QueueActions
from gateway.commands.settings import SettingsActions
from gateway.stores.clients import Stores, Streams, command_client
from gateway.stores.jobs import JobClient
from shared import codec
from shared.clock import now_ms
from shared.jobs import JobName
from shared.keys import Keys
from shared.observability import GatewayMetrics
from shared.settings import GatewaySettings, RedisSettings, Settings
from shared.tasks import TaskOwner
from tests.gateway.doubles import stand_in_lyrics, stand_in_resolve, stand_in_search

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
def stores(command_redis: ArqRedis, keys: Keys, gateway_settings: GatewaySettings) -> Stores:
    """The stores on the gateway's command client, as `gateway.app` builds them."""
    return Stores.build(command_redis, keys, gateway_settings, search_providers=("youtube",))


@pytest.fixture
def streams(command_redis: ArqRedis, keys: Keys) -> Streams:
    return Streams.build(command_redis, keys)


@pytest.fixture
def metrics() -> GatewayMetrics:
    """A registry of the test's own."""
    return GatewayMetrics()


def gate_on(stores: Stores) -> Gate:
    return Gate(stores.rate, stores.settings, stores.players, stores.queue)


def queue_actions(stores: Stores) -> QueueActions:
    """The queue commands over `stores`, as `gateway.app` builds them (for a test with stores of its own)."""
    return QueueActions(gate_on(stores), stores.queue, stores.players, now_ms)


@pytest.fixture
def gate(stores: Stores) -> Gate:
    return gate_on(stores)


@pytest.fixture
def issuer(stores: Stores, metrics: GatewayMetrics) -> Issuer:
    return Issuer(stores.commands, metrics)


@pytest.fixture
def jobs(command_redis: ArqRedis, keys: Keys) -> JobClient:
    return JobClient(command_redis, keys)


@pytest.fixture
def play(
    gateway_settings: GatewaySettings,
    stores: Stores,
    gate: Gate,
    issuer: Issuer,
    jobs: JobClient,
    background: TaskOwner,
) -> PlayActions:
    return PlayActions(gateway_settings, gate, issuer, jobs, stores.recent, stores.active, background)


@pytest.fixture
def suggestions(stores: Stores) -> Suggestions:
    return Suggestions(stores.searches, stores.recent)


@pytest.fixture
def control(stores: Stores, gate: Gate, issuer: Issuer) -> ControlActions:
    return ControlActions(gate, issuer, stores.players, stores.votes)


@pytest.fixture
def queue(stores: Stores) -> QueueActions:
    return queue_actions(stores)


@pytest.fixture
def guild_settings(stores: Stores, gate: Gate) -> SettingsActions:
    return SettingsActions(gate, stores.settings, Settings().search_providers)


@pytest.fixture
async def resolver(redis_url: str, keys: Keys) -> AsyncIterator[Worker]:
    """A real arq Worker running the stand-in resolve/search/lyrics jobs (a fake of the worker, not of the gateway)."""
    pool = command_client(RedisSettings(url=redis_url, socket_timeout_s=5.0), keys)
    worker = Worker(
        functions=[
            func(stand_in_resolve, name=JobName.RESOLVE.value, timeout=30),
            func(stand_in_search, name=JobName.SEARCH.value, timeout=30),
            func(stand_in_lyrics, name=JobName.LYRICS.value, timeout=30),
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
