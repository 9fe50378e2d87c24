"""A worker's position checkpoints, batched into its lease renewals: one round trip per tick for all its guilds.

A playing guild offers a checkpoint when one is due; the supervisor's next renewal tick sends it with the guild's
renewal (`shared/tick_store.py`). The policy that keeps fencing exact and the stored state in order:

- each checkpoint is fenced by the token of the player that computed it, in Redis, as any other write;
- a refused checkpoint (a stale token) is told to the player that offered it, which stops at once, as when one
  of its own writes is refused;
- a player's other writes (commands, track changes) first `settle`: its pending checkpoint is dropped (the write
  carries everything the checkpoint had) and one already on its way is waited for, so an older checkpoint never
  lands after a newer write;
- a checkpoint whose tick fails (Redis down or slow) is lost: the next one carries the same state, newer;
- the position stored is where the track is at the tick, not at the offer (so waiting for the tick loses nothing),
  as long as the track of the offer still plays: any change of what plays, or how, is a write that settles first.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from shared.clock import now_ms
from shared.lease_store import Lease, RenewOutcome
from shared.models import PlayerState
from shared.tick_store import Checkpoint, TickStore, TickWrite

_log: Final = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Offer:
    checkpoint: Checkpoint
    refused: Callable[[], None]
    position: Callable[[], int | None] | None

    def now(self) -> Checkpoint:
        """The checkpoint to write now: the offered state at the playing track's current position."""
        at = self.position() if self.position is not None else None
        if at is None:
            return self.checkpoint
        state = self.checkpoint.state.model_copy(update={"position_ms": at, "updated_at_ms": now_ms()})
        return Checkpoint(self.checkpoint.fence, state)


class CheckpointBatcher:
    """Holds each guild's latest due checkpoint until the next tick writes it (the player's `Checkpoints`)."""

    def __init__(self) -> None:
        self._pending: dict[int, _Offer] = {}
        self._flying: dict[int, asyncio.Event] = {}

    async def offer(
        self,
        guild_id: int,
        fence: int,
        state: PlayerState,
        refused: Callable[[], None],
        *,
        position: Callable[[], int | None] | None = None,
    ) -> None:
        """Write `state` at the next tick (replacing an older offer not yet sent), at `position()` then when that
        says where the track is; `refused` is called if the fence turns it down."""
        self._pending[guild_id] = _Offer(Checkpoint(fence, state), refused, position)

    async def settle(self, guild_id: int) -> None:
        """Before any other write of the guild: drop its pending checkpoint, wait for the one on its way."""
        self._pending.pop(guild_id, None)
        while (landing := self._flying.get(guild_id)) is not None:
            await landing.wait()

    async def flush(self, store: TickStore, leases: Sequence[Lease], ttl_ms: int) -> list[RenewOutcome]:
        """Renew `leases` with the checkpoints offered for their guilds, in one round trip; offers of guilds not
        renewed here (no longer owned) are dropped. Returns the renewal outcomes in the order of `leases`."""
        offers = {lease.guild_id: offer for lease in leases if (offer := self._pending.pop(lease.guild_id, None))}
        self._pending.clear()
        landing = asyncio.Event()
        for guild_id in offers:
            self._flying[guild_id] = landing
        writes = [TickWrite(lease, offer.now() if (offer := offers.get(lease.guild_id)) else None) for lease in leases]
        try:
            results = await store.write(writes, ttl_ms)
        finally:
            for guild_id in offers:
                if self._flying.get(guild_id) is landing:
                    del self._flying[guild_id]
            landing.set()
        for lease, result in zip(leases, results, strict=True):
            if result.checkpoint is False:
                _log.warning("checkpoint refused: another worker owns the guild", extra={"guild_id": lease.guild_id})
                offers[lease.guild_id].refused()
        return [result.renewal for result in results]
