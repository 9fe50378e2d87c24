"""The player's `StreamSource` over the resolver: stream URLs just before play, smart fallback, prefetch."""

from __future__ import annotations

from shared.models import QueueItem
from worker.resolve.models import StreamResult
from worker.resolve.service import ResolveService


class ResolverStreams:
    """`StreamSource` over the resolver: its answer reaches the player as it is (the same stream, the same result)."""

    def __init__(self, service: ResolveService) -> None:
        self._service = service

    async def stream_for(self, guild_id: int, item: QueueItem) -> StreamResult:
        return await self._service.stream_for(item, guild_id)

    async def prefetch(self, guild_id: int, item: QueueItem) -> None:
        await self._service.prefetch(item, guild_id)
