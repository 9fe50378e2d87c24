"""The stream of a mirrored item: its match (found now, or kept from before), then that recording's stream.

The item the player gets back carries `QueueItem.match`, so the now-playing card can say what plays ("matched by
ISRC", "best match 0.82"). Nothing close enough is a NO_MATCH problem: the player skips the item with a notice
that names it, and never plays a wrong song silently.
"""

from __future__ import annotations

from shared.models import Matched, QueueItem
from worker.resolve.mirror.matcher import Matcher
from worker.resolve.models import StreamResult
from worker.resolve.streams import StreamResolver


class MirrorStreams:
    def __init__(self, matcher: Matcher, streams: StreamResolver) -> None:
        self._matcher = matcher
        self._streams = streams

    async def stream_for(self, item: QueueItem, guild_id: int) -> StreamResult:
        matched = item.match or await self._matcher.match(item.track)
        if not isinstance(matched, Matched):
            return StreamResult(item=item, problem=matched)
        playable = QueueItem(uid=item.uid, track=matched.track, requester_id=item.requester_id)
        found = await self._streams.stream_for(playable, guild_id)
        if found.stream is None:
            return StreamResult(item=item, problem=found.problem)
        if found.substitution is not None:  # the match's own link was dead and search found it elsewhere
            matched = matched.model_copy(update={"track": found.item.track})
        return StreamResult(item=item.model_copy(update={"match": matched}), stream=found.stream)
