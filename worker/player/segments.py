"""SponsorBlock skips of a guild's playing track: where a track starts, and the cut prepared at the next segment.

Policy:
- Segments are looked up beside the stream (when an item is opened, and when the next one is prefetched), never
  before playback starts: a track starts at once, from the cache's answer if there is one. Segments that arrive
  late skip what is still ahead (the one under the playhead at once).
- A segment at the start is skipped by starting after it; a segment further on by a cut prepared ahead (the
  pipeline at its end opened early, switched to at its start on a frame boundary, like a filter change); a segment
  that reaches the end ends the track there (what follows still starts gaplessly).
- After a skip the checkpoint is the segment's end, and the state lists what was skipped (`/nowplaying` shows it);
  the item's first skip is announced.
- Only the guild's categories (`GuildSettings.sponsorblock`) are skipped; an empty list turns it all off.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Final

from shared.errors import PlaybackError
from shared.events import SegmentSkipped
from shared.models import QueueItem, SkipSegment, SponsorCategory
from shared.tasks import TaskOwner
from worker.player.announcer import Announcer
from worker.player.inbox import SegmentsArrived, SplicePassed
from worker.player.ports import SegmentSource
from worker.player.state import FencedState
from worker.player.track_driver import TrackDriver
from worker.resolve.sponsorblock import SponsorSegments, wanted

_log: Final = logging.getLogger(__name__)
AT_END_MS: Final = 1500
"""A segment ending this close to the track's end ends the track."""
AHEAD_MS: Final = 250
"""A segment ending this soon after the playhead is let be (a cut could not be ready in time)."""
MAX_SKIPPED: Final = 32


def covering(segments: Sequence[SkipSegment], position_ms: int) -> SkipSegment | None:
    """The segment under `position_ms` (a start within the first second counts as the very start)."""
    return next((s for s in segments if s.start_ms <= max(position_ms, 1000) and s.end_ms > position_ms), None)


class SegmentSkipper:
    def __init__(  # noqa: PLR0913 - the player's collaborators, shared with it
        self,
        guild_id: int,
        *,
        state: FencedState,
        driver: TrackDriver,
        source: SegmentSource | None,
        announcer: Announcer,
        arrived: Callable[[SegmentsArrived], None],
        categories: Callable[[], tuple[SponsorCategory, ...]],
    ) -> None:
        """`arrived` queues looked-up segments into the player's inbox; `categories()` are the guild's now."""
        self._guild_id = guild_id
        self._state = state
        self._driver = driver
        self._source = source
        self._announcer = announcer
        self._arrived = arrived
        self._categories = categories
        self._uid: str | None = None
        self._segments: tuple[SkipSegment, ...] | None = None
        """Every category's segments of the playing item, once known."""
        self._armed: SkipSegment | None = None
        self._prepared: tuple[str, SkipSegment] | None = None
        """The next track (uid) prepared to start after this segment at its start."""
        self._ends_at: int | None = None
        self._tasks = TaskOwner()
        self._extra = {"guild_id": guild_id}

    @property
    def ends_at_ms(self) -> int | None:
        """Where the playing track ends early (a segment that reaches its end), if it does."""
        return self._ends_at

    def _applies(self, item: QueueItem) -> bool:
        return self._source is not None and bool(self._categories()) and self._source.applies(item)

    def look_up(self, item: QueueItem, *, deliver: bool = True) -> None:
        """Fetch `item`'s segments beside the stream (the answer goes to the inbox, or only warms the cache)."""
        if not self._applies(item):
            return
        self._tasks.spawn(self._fetch(item, deliver=deliver), name=f"segments-{self._guild_id}")

    async def _fetch(self, item: QueueItem, *, deliver: bool) -> None:
        assert self._source is not None
        try:
            found = await self._source.fetch(item)
        except Exception:  # noqa: BLE001 - segments are a nicety: a failed lookup never touches playback
            _log.warning("SponsorBlock lookup failed", exc_info=True, extra=self._extra)
            return
        if found is not None and deliver:
            self._arrived(SegmentsArrived(item.uid, item.track.url, found))

    async def start_position(self, item: QueueItem, position_ms: int) -> tuple[int, SkipSegment | None]:
        """Where to start `item` asked to start at `position_ms`: after a known segment under it (quick: cache only)."""
        if not self._applies(item):
            return position_ms, None
        assert self._source is not None
        try:
            known = await self._source.known(item)
        except Exception:  # noqa: BLE001 - as in _fetch
            return position_ms, None
        under = covering(self._mine(known or ()), position_ms)
        if under is None or self._reaches_end(item, under):
            return position_ms, None
        return under.end_ms, under

    async def prepare_start(self, item: QueueItem) -> int:
        """Where the next track, prepared ahead, starts: after a known segment at its start."""
        start_ms, skipped = await self.start_position(item, 0)
        self._prepared = None if skipped is None else (item.uid, skipped)
        return start_ms

    def take_prepared(self, uid: str) -> tuple[int, SkipSegment | None]:
        """The prepared next track `uid` plays now: where it started, and the segment that start skipped."""
        prepared, self._prepared = self._prepared, None
        if prepared is None or prepared[0] != uid:
            return 0, None
        return prepared[1].end_ms, prepared[1]

    async def began(self, item: QueueItem, skipped: SkipSegment | None = None) -> None:
        """The driver plays `item` (anew, or after a seek): cut at what is known; record a skip made at start."""
        if item.uid != self._uid:
            self._uid, self._segments = item.uid, None
        if skipped is not None:
            await self._record(item, skipped)
        await self.arm()

    async def arrived(self, message: SegmentsArrived) -> None:
        item = self._state.current.now_playing
        if message.uid == self._uid and item is not None and item.track.url == message.url:
            self._segments = message.segments
            await self.arm()

    async def passed(self, message: SplicePassed) -> None:
        armed, item = self._armed, self._state.current.now_playing
        if message.generation != self._driver.generation or armed is None or item is None:
            return
        self._armed = None
        await self._record(item, armed)
        await self.arm()

    async def arm(self) -> None:
        """Prepare the cut at the first segment of the guild's categories still ahead of the playhead."""
        self._driver.clear_cut()
        self._armed = self._ends_at = None
        item = self._state.current.now_playing
        if item is None or item.uid != self._uid or self._segments is None or not self._driver.playing:
            return
        position = self._state.position()
        ahead = [s for s in self._mine(self._segments) if s.end_ms > position + AHEAD_MS]
        if not ahead:
            return
        segment = ahead[0]
        at_end = self._reaches_end(item, segment)
        try:
            cut = await self._driver.cut(max(segment.start_ms, position), None if at_end else segment.end_ms,
                                         self._state.current)  # fmt: skip
        except PlaybackError as exc:  # the stream no longer opens there: the segment plays
            _log.info("could not prepare a SponsorBlock skip: %s", exc, extra=self._extra)
            return
        if cut:
            self._armed = segment
            self._ends_at = segment.start_ms if at_end else None

    def _mine(self, segments: Sequence[SkipSegment]) -> tuple[SkipSegment, ...]:
        return wanted(SponsorSegments(segments=tuple(segments)), self._categories())

    @staticmethod
    def _reaches_end(item: QueueItem, segment: SkipSegment) -> bool:
        duration = item.track.duration_ms
        return duration is not None and segment.end_ms >= duration - AT_END_MS

    async def _record(self, item: QueueItem, segment: SkipSegment) -> None:
        """The checkpoint after a skip is where playback went on (the segment's end); the first one is announced."""
        skipped = (*self._state.current.skipped, segment)[-MAX_SKIPPED:]
        await self._state.commit(self._state.next(skipped=skipped))
        event = self._announcer.event(SegmentSkipped, item=item, segment=segment, first=len(skipped) == 1)
        await self._announcer.publish(event)

    def forget(self) -> None:
        self._uid, self._segments, self._armed, self._ends_at = None, None, None, None

    async def close(self) -> None:
        await self._tasks.aclose()
