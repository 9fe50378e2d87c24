"""The player's `StreamSource` port (worker/ports.py) over the resolver."""

from __future__ import annotations

from shared.models import QueueItem
from worker.ports import PlayableStream, StreamOutcome
from worker.resolve.service import ResolveService


class ResolverStreamSource:
    """`stream_for(guild_id, item)` / `prefetch(guild_id, item)` for GuildPlayer.

    The player publishes TrackSubstituted itself after its fenced commit, so the resolver does not announce here.
    """

    def __init__(self, service: ResolveService) -> None:
        self._service = service

    async def stream_for(self, guild_id: int, item: QueueItem) -> StreamOutcome:
        result = await self._service.stream_for(item, guild_id, announce=False)
        stream = None
        if result.stream is not None:
            stream = PlayableStream(
                url=result.stream.url,
                is_opus=result.stream.is_opus,
                http_headers=dict(result.stream.http_headers),
                duration_ms=result.stream.duration_ms,
            )
        reason = result.reason if result.substituted else None
        return StreamOutcome(stream=stream, item=result.item, substituted_reason=reason, error=result.error)

    async def prefetch(self, guild_id: int, item: QueueItem) -> None:
        await self._service.prefetch(item, guild_id)
