"""The resolver's one way onto a guild's queue: append the items, then tell the guild's owner (QueueChanged).

The owner does not watch the queue: an idle player wakes on the QueueChanged that the job which queued items
appends to the guild's command stream, in order with the member's other commands. A guild without an owner yet is
in the active set already (the gateway marks it before it submits the job), so the worker that claims it reads the
command too, and resumes from the queue anyway. The two writes are not one script: a job that dies between them is
run again by arq, finds its chunk queued (a duplicate, or its request's next chunk further on) and announces it
then, so no queued item goes unannounced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared.command_store import CommandStore
from shared.commands import QueueChangedCommand
from shared.models import InsertPosition, QueueItem
from shared.queue_store import AppendResult, QueueLimits, QueueStore
from worker.resolve.request_store import RequestStore


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a request's items go, and whose they are (the QueueChanged is stamped with it)."""

    guild_id: int
    request_id: str
    position: InsertPosition
    limits: QueueLimits
    requester_id: int
    text_channel_id: int | None = None
    """The channel the owner answers in from now on; None leaves the owner's choice alone (later chunks)."""


class Enqueuer:
    def __init__(self, queue: QueueStore, commands: CommandStore, requests: RequestStore) -> None:
        self._queue = queue
        self._commands = commands
        self._requests = requests

    async def append(self, placement: Placement, items: Sequence[QueueItem], *, chunk_index: int) -> AppendResult:
        """Append chunk `chunk_index` of the request (once: a retried chunk is a duplicate) and announce it."""
        gid, rid = placement.guild_id, placement.request_id
        result = await self._queue.append(
            gid, items, limits=placement.limits, position=placement.position, request_id=rid, chunk_index=chunk_index
        )
        await self._requests.expire(gid, rid)
        if result.appended or result.duplicate:
            await self.announce(placement)
        return result

    async def announce(self, placement: Placement) -> None:
        """Tell the owner that the request's items are queued (again, for a job run a second time: harmless)."""
        changed = QueueChangedCommand(issued_by=placement.requester_id, text_channel_id=placement.text_channel_id)
        await self._commands.append(placement.guild_id, changed)
