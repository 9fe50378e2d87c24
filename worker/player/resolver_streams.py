"""The player's `StreamSource` and `SegmentSource` over the resolver: stream URLs just before play, smart fallback,
prefetch, and the SponsorBlock segments of YouTube videos."""

from __future__ import annotations

from shared.models import QueueItem, SkipSegment
from worker.resolve.models import StreamResult
from worker.resolve.service import ResolveService
from worker.resolve.sponsorblock import SponsorBlock, video_id


class ResolverStreams:
    """`StreamSource` over the resolver: its answer reaches the player as it is (the same stream, the same result)."""

    def __init__(self, service: ResolveService) -> None:
        self._service = service

    async def stream_for(self, guild_id: int, item: QueueItem) -> StreamResult:
        return await self._service.stream_for(item, guild_id)

    async def prefetch(self, guild_id: int, item: QueueItem) -> None:
        await self._service.prefetch(item, guild_id)


class ResolverSegments:
    """`SegmentSource` over the resolver's SponsorBlock client: YouTube videos only (anything else has none), the
    video that is heard (a mirrored track's match once it is known)."""

    def __init__(self, sponsorblock: SponsorBlock) -> None:
        self._sponsorblock = sponsorblock

    def applies(self, item: QueueItem) -> bool:
        return video_id(item.heard) is not None

    async def known(self, item: QueueItem) -> tuple[SkipSegment, ...] | None:
        video = video_id(item.heard)
        found = None if video is None else await self._sponsorblock.cached(video)
        return None if found is None else found.segments

    async def fetch(self, item: QueueItem) -> tuple[SkipSegment, ...] | None:
        video = video_id(item.heard)
        found = None if video is None else await self._sponsorblock.segments(video)
        return None if found is None else found.segments
