"""Hypothesis: any sequence of queue operations on Redis matches the same operations on a plain list."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Coroutine
from typing import Any, override

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from redis.asyncio import Redis

from shared.keys import Keys
from shared.models import InsertPosition, QueueItem
from shared.queue_store import QueueLimits, QueueStore
from tests.factories import make_item

GUILD = 666
LIMITS = QueueLimits(max_length=40, max_per_user=25)


class QueueMachine(RuleBasedStateMachine):
    redis_url = ""
    store: QueueStore | None = None

    @initialize()
    def connect(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.redis: Redis = Redis.from_url(self.redis_url)
        self.keys = Keys(prefix=f"prop{uuid.uuid4().hex[:8]}")
        self.queue = self.store = QueueStore(self.redis, self.keys)
        self.model: list[QueueItem] = []
        self.chunks: dict[str, int] = {}

    @override
    def teardown(self) -> None:
        if self.store is not None:
            self.loop.run_until_complete(self.redis.aclose())
            self.loop.close()

    def _run[T](self, coro: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coro)

    def _room(self, requester: int) -> int:
        mine = sum(1 for item in self.model if item.requester_id == requester)
        return max(0, min(LIMITS.max_length - len(self.model), LIMITS.max_per_user - mine))

    @rule(count=st.integers(0, 6), requester=st.integers(1, 3), where=st.sampled_from(list(InsertPosition)))
    def append(self, count: int, requester: int, where: InsertPosition) -> None:
        items = [make_item(n, requester_id=requester) for n in range(count)]
        result = self._run(self.queue.append(GUILD, items, limits=LIMITS, position=where))
        kept = items[: self._room(requester)]
        assert result.appended == len(kept)
        self.model = self.model + kept if where is InsertPosition.END else kept + self.model

    @rule(count=st.integers(1, 4), chunk=st.integers(0, 3), request=st.sampled_from(["a" * 32, "b" * 32]))
    def append_chunk(self, count: int, chunk: int, request: str) -> None:
        items = [make_item(n, requester_id=3) for n in range(count)]
        result = self._run(self.queue.append(GUILD, items, limits=LIMITS, request_id=request, chunk_index=chunk))
        expected_chunk = self.chunks.get(request, 0)
        if chunk != expected_chunk:
            assert result.duplicate and result.appended == 0
            return
        kept = items[: self._room(3)]
        assert result.appended == len(kept)
        self.model += kept
        self.chunks[request] = chunk + 1

    @rule(index=st.integers(-1, 45))
    def remove_at(self, index: int) -> None:
        removed = self._run(self.queue.remove_at(GUILD, index))
        expected = self.model.pop(index) if 0 <= index < len(self.model) else None
        assert removed == expected

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def remove_uid(self, data: st.DataObject) -> None:
        index = data.draw(st.integers(0, len(self.model) - 1))
        found = self._run(self.queue.remove_uid(GUILD, self.model[index].uid))
        assert found == (index, self.model.pop(index))

    @rule(source=st.integers(0, 45), to=st.integers(0, 45))
    def move(self, source: int, to: int) -> None:
        moved = self._run(self.queue.move(GUILD, source, to))
        if source >= len(self.model):
            assert moved is None
            return
        item = self.model.pop(source)
        self.model.insert(min(to, len(self.model)), item)
        assert moved == item

    @rule(seed=st.integers(0, 1000))
    def shuffle(self, seed: int) -> None:
        self._run(self.queue.shuffle(GUILD, random.Random(seed)))
        stored = self._run(self.queue.all_items(GUILD))
        assert sorted(i.uid for i in stored) == sorted(i.uid for i in self.model)
        self.model = stored

    @rule()
    def clear(self) -> None:
        assert self._run(self.queue.clear(GUILD)) == len(self.model)
        self.model = []

    @invariant()
    def same_as_model(self) -> None:
        if self.store is not None:
            assert self._run(self.queue.all_items(GUILD)) == self.model
            for requester in (1, 2, 3):
                count = sum(1 for item in self.model if item.requester_id == requester)
                assert self._run(self.queue.user_count(GUILD, requester)) == count


@pytest.mark.timeout(180)
def test_queue_matches_a_list_model(redis_url: str) -> None:
    QueueMachine.redis_url = redis_url
    run_state_machine_as_test(
        QueueMachine,
        settings=settings(
            max_examples=60, stateful_step_count=30, deadline=None, suppress_health_check=[HealthCheck.too_slow]
        ),
    )
