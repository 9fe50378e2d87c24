"""The player's `StreamSource` over the resolver: stream URLs just before play, smart fallback, prefetch."""

from __future__ import annotations

from shared.models import QueueItem
from worker.player.ports import PlayableStream, StreamOutcome
from worker.resolve.service import ResolveService


class ResolverStreams:
    """`StreamSource` over the resolver: stream URLs just before play, smart fallback, prefetch of the next item."""

    def __init__(self, service: ResolveService) -> None:
        self._service = service

    async def stream_for(self, guild_id: int, item: QueueItem) -> StreamOutcome:
        result = await self._service.stream_for(item, guild_id, announce=False)
        stream = result.stream
        if stream is None:
            return StreamOutcome(None, result.item, problem=result.problem)
        playable = PlayableStream(
            url=stream.url,
            is_opus=stream.is_opus,
            http_headers=dict(stream.http_headers),
            duration_ms=stream.duration_ms,
            ext=stream.ext,
        )
        reason = (result.reason or "the link is broken") if result.substituted else None
        return StreamOutcome(playable, result.item, substituted_reason=reason)

    async def prefetch(self, guild_id: int, item: QueueItem) -> None:
        await self._service.prefetch(item, guild_id)
