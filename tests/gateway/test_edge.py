"""The interaction edge: every failure becomes a clear reply, and a hanging dependency still gets an answer in time."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import pytest
from arq.connections import ArqRedis
from redis.exceptions import ConnectionError as RedisConnectionError

from gateway.commands.answering import ACK_BUDGET_S, APOLOGY, CORRUPT, UNAVAILABLE, Handler, reply_for, run_interaction
from gateway.commands.invocation import Responder
from gateway.stores.clients import Stores, command_client
from gateway.wording.reply import Reply
from shared.errors import (
    CorruptDataError,
    InvalidInputError,
    PermissionDeniedError,
    RateLimitedError,
    TemporarilyUnavailableError,
)
from shared.keys import Keys
from shared.observability import InteractionOutcome
from shared.settings import GatewaySettings, RedisSettings
from tests.gateway.conftest import queue_actions
from tests.gateway.doubles import invocation
from tests.services.redis_server import free_port

DISCORD_ACK_DEADLINE_S = 3.0


@dataclass
class RecordingAck:
    """An Acknowledger that records the wire-level answers of one interaction."""

    answers: list[tuple[str, Reply | bool]] = field(default_factory=list)
    acknowledged: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def defer(self, *, ephemeral: bool = False) -> None:
        async with self.lock:
            if not self.acknowledged:
                self.answers.append(("defer", ephemeral))
                self.acknowledged = True

    async def edit(self, reply: Reply) -> None:
        self.answers.append(("edit", reply))

    async def answer(self, reply: Reply) -> bool:
        async with self.lock:
            if not self.acknowledged:
                self.answers.append(("send", reply))
                self.acknowledged = True
                return True
        await self.edit(reply)
        return True

    async def answer_if_unacknowledged(self, reply: Reply) -> bool:
        async with self.lock:
            if self.acknowledged:
                return False
            self.answers.append(("send", reply))
            self.acknowledged = True
            return True


async def run(handler: Handler, age_s: float = 0.0) -> RecordingAck:
    ack = RecordingAck()
    await run_interaction(handler, ack, what="test", guild_id=1, age_s=age_s)
    return ack


async def test_replies_and_user_errors() -> None:
    async def fine(_: Responder) -> Reply:
        return Reply(content="ok")

    async def bad(_: Responder) -> Reply:
        raise InvalidInputError("no such page")

    assert (await run(fine)).answers == [("send", Reply(content="ok"))]
    assert (await run(bad)).answers == [("send", Reply(content="⚠️ no such page", ephemeral=True))]


async def test_unexpected_errors_are_apologies() -> None:
    async def broken(_: Responder) -> Reply:
        raise ZeroDivisionError

    async def corrupt(_: Responder) -> Reply:
        raise CorruptDataError("encore:{1}:player", "bad")

    assert (await run(broken)).answers == [("send", Reply.error(APOLOGY))]
    assert (await run(corrupt)).answers == [("send", Reply.error(CORRUPT))]


async def test_deferred_work_edits_the_reply() -> None:
    async def slow(out: Responder) -> Reply:
        await out.defer()
        await asyncio.sleep(0.6)
        return Reply(content="done")

    ack = await run(slow)
    assert ack.answers == [("defer", False), ("edit", Reply(content="done"))]


async def test_a_hanging_handler_is_answered_within_the_budget() -> None:
    cancelled = asyncio.Event()

    async def hangs(_: Responder) -> Reply:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return Reply(content="never")

    age_s = 0.5
    started = time.monotonic()
    ack = await run(hangs, age_s=age_s)
    elapsed = time.monotonic() - started
    assert ack.answers == [("send", Reply.error(UNAVAILABLE))]
    assert cancelled.is_set()
    # The handler had the whole budget left after the interaction's age (a timeout never fires early) ...
    assert elapsed >= ACK_BUDGET_S - age_s
    # ... and the answer still beat Discord's deadline, counted from when the interaction was created.
    assert age_s + elapsed < DISCORD_ACK_DEADLINE_S


async def test_redis_down_means_try_again(gateway_settings: GatewaySettings, keys: Keys) -> None:
    """A Redis that refuses connections: the command answers 'temporarily unavailable' quickly and nothing crashes."""
    dead: ArqRedis = command_client(RedisSettings(url=f"redis://127.0.0.1:{free_port()}/0"), keys)
    try:
        actions = queue_actions(Stores.build(dead, keys, gateway_settings, search_providers=("youtube",)))
        started = time.monotonic()

        async def show(_: Responder) -> Reply:
            return await actions.show(invocation(), None)

        reply = await reply_for(show, RecordingAck(), what="queue", guild_id=1)
        assert reply == Reply.error(UNAVAILABLE)
        assert reply.content.endswith("temporarily unavailable, please try again in a moment.")
        assert time.monotonic() - started < 2.0
    finally:
        await dead.aclose(close_connection_pool=True)


@pytest.mark.parametrize(
    ("failure", "expected"),
    [
        (None, "ok"),
        (InvalidInputError("bad"), "refused"),
        (PermissionDeniedError("no"), "refused"),
        (RateLimitedError("slow down"), "refused"),
        (TemporarilyUnavailableError(), "error"),
        (RedisConnectionError("down"), "error"),
        (CorruptDataError("k", "bad json"), "error"),
        (RuntimeError("bug"), "error"),
    ],
)
async def test_the_outcome_says_whose_fault_a_failure_was(
    failure: Exception | None, expected: InteractionOutcome
) -> None:
    async def handler(_: Responder) -> Reply:
        if failure is not None:
            raise failure
        return Reply(content="done")

    assert await run_interaction(handler, RecordingAck(), what="test", guild_id=1) == expected


async def test_an_interaction_answered_for_lack_of_time_is_an_error() -> None:
    async def hangs(_: Responder) -> Reply:
        await asyncio.sleep(60)
        return Reply(content="never")

    outcome = await run_interaction(hangs, RecordingAck(), what="test", guild_id=1, age_s=ACK_BUDGET_S)
    assert outcome == "error"
