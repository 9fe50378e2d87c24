"""A guild player's committed state: every change is computed here and committed through a fenced script.

A rejected commit (`Fenced`) means another worker owns the guild now: the player stops at once without writing
anything else. Queue transitions (advance, previous, play now, stop) are one script each, so the queue and the
now-playing item never disagree. Periodic position checkpoints go through the worker's `Checkpoints` (batched
into its lease renewals); every other write settles the guild's checkpoint first, so none lands after it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from shared.clock import now_ms
from shared.models import ItemTrouble, LoopMode, PlayerState, QueueItem
from shared.player_store import PlayerStore, Retire, Transition
from worker.player.ports import Checkpoints, LeaseView


class Fenced(Exception):  # noqa: N818 - a signal, not an error condition of the caller
    """The fence rejected a write: another worker owns the guild now. Stop without touching anything."""


class DirectCheckpoints:
    """Checkpoints written at once, each its own round trip (a player without a worker's tick: tests, benches)."""

    def __init__(self, store: PlayerStore) -> None:
        self._store = store

    async def offer(
        self,
        guild_id: int,
        fence: int,
        state: PlayerState,
        refused: Callable[[], None],
        *,
        position: Callable[[], int | None] | None = None,
    ) -> None:
        if not await self._store.save(guild_id, fence, state):
            refused()

    async def settle(self, guild_id: int) -> None:
        return None


class FencedState:
    """The player's state as last committed (or adopted from a transition), and the writes that change it."""

    def __init__(
        self,
        guild_id: int,
        lease: LeaseView,
        store: PlayerStore,
        position: Callable[[int], int],
        *,
        checkpoints: Checkpoints,
        refused: Callable[[], None],
    ) -> None:
        """`position(stored_ms)` is where the playing track is now (`stored_ms` when nothing plays); `refused` is
        called when a checkpoint sent later (with the worker's tick) was refused: the player must look at once."""
        self._guild_id = guild_id
        self.lease = lease
        self._store = store
        self._position = position
        self._checkpoints = checkpoints
        self._wake = refused
        self._refused = False
        self.current = PlayerState()
        self.last_commit = 0.0
        """When (monotonic) the state was last written: checkpoints are due `checkpoint_ms` after it."""

    def position(self) -> int:
        return self._position(self.current.position_ms)

    def next(self, **changes: Any) -> PlayerState:
        base = {"position_ms": self.position(), "fence": self.lease.fence, "updated_at_ms": now_ms()}
        return self.current.model_copy(update={**base, **changes})

    def amend(self, **changes: Any) -> None:
        """Change the state in memory only; the next commit writes it."""
        self.current = self.current.model_copy(update=changes)

    def check(self) -> None:
        """Raise Fenced if a checkpoint of this player was refused."""
        if self._refused:
            raise Fenced

    async def settle(self) -> None:
        """Wait until no checkpoint of this player is pending or on its way (before a write, or when it ends)."""
        await self._checkpoints.settle(self._guild_id)
        self.check()

    async def close(self) -> None:
        """The player ends: a checkpoint it offered is dropped or (on its way) waited for, never left behind."""
        await self._checkpoints.settle(self._guild_id)

    async def checkpoint(self, state: PlayerState, position: Callable[[], int | None]) -> None:
        """Store `state` with the worker's next tick (the periodic position checkpoint), at the `position` of then."""
        self.check()
        await self._checkpoints.offer(self._guild_id, self.lease.fence, state, self._refuse, position=position)
        self.check()
        self.current = state
        self.last_commit = time.monotonic()

    def _refuse(self) -> None:
        self._refused = True
        self._wake()

    async def commit(self, state: PlayerState) -> None:
        await self.settle()
        if not await self._store.save(self._guild_id, self.lease.fence, state):
            raise Fenced
        self.current = state
        self.last_commit = time.monotonic()

    async def set_trouble(self, trouble: ItemTrouble | None) -> None:
        """Record what went wrong with the now-playing item (nothing else changes: not even the position)."""
        if trouble != self.current.trouble:
            update = {"trouble": trouble, "fence": self.lease.fence, "updated_at_ms": now_ms()}
            await self.commit(self.current.model_copy(update=update))

    def retire_mode(self) -> Retire:
        return Retire.REQUEUE if self.current.loop is LoopMode.QUEUE else Retire.HISTORY

    async def advance(self, cursor: str, *, retire: Retire, skip_extra: int = 0) -> QueueItem | None:
        await self.settle()
        template = self._template(cursor)
        current = template.model_copy(update={"now_playing": self.current.now_playing})
        transition = await self._store.advance(
            self._guild_id, self.lease.fence, current, retire=retire, skip_extra=skip_extra
        )
        return self._after(transition, template)

    async def jump(self, cursor: str, *, uid: str | None) -> tuple[bool, QueueItem | None]:
        """Make queued item `uid` now-playing, or with None the newest history item (previous).

        Returns whether anything changed (nothing to jump to commits the cursor only), and the new item."""
        await self.settle()
        template = self._template(cursor)
        current = template.model_copy(update={"now_playing": self.current.now_playing})
        fence = self.lease.fence
        if uid is None:
            transition = await self._store.previous(self._guild_id, fence, current)
        else:
            transition = await self._store.play_now(self._guild_id, fence, current, uid)
        if transition.item is None and not transition.fenced_out:
            await self.commit(self.next(cursor=cursor))
            return False, None
        return True, self._after(transition, template)

    async def stop(self, cursor: str) -> None:
        """Clear the queue and what plays, atomically."""
        await self.settle()
        state = self.next(cursor=cursor, now_playing=None, position_ms=0, paused=False, trouble=None, skipped=())
        if not await self._store.stop(self._guild_id, self.lease.fence, state):
            raise Fenced
        self.current = state

    def _template(self, cursor: str) -> PlayerState:
        """The state after a transition, around whatever item the transition makes now_playing."""
        return self.next(cursor=cursor, position_ms=0, paused=False, trouble=None, skipped=())

    def _after(self, transition: Transition, template: PlayerState) -> QueueItem | None:
        if transition.fenced_out:
            raise Fenced
        self.current = template.model_copy(update={"now_playing": transition.item})
        self.last_commit = time.monotonic()
        return transition.item
