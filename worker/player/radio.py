"""Autoplay: when a guild's queue is about to run out, its owner queues a few tracks related to the last ones.

Policy:
- The radio looks for more when a track starts with nothing queued behind it (the last of a batch, or a member's
  last track), or when the queue ran out without that (autoplay turned on during the last track); a few tracks at a
  time (`WorkerSettings.autoplay_batch`), so a radio never ends and never floods the queue.
- Related tracks come from the resolver (`RelatedTracks`: a YouTube mix, else a search for the last artists) and
  exclude the last `HISTORY_WINDOW` played (the guild's history in Redis), what plays and what is queued.
- The search runs beside the loop (it takes seconds); what it found comes back through the inbox and is queued in
  turn with the commands, by one fenced script, only if the radio still wants it: autoplay still on (read afresh),
  the bot not alone, no /stop or /leave since (`stop` forgets the search in flight).
- Nothing of it is kept outside Redis: a new owner resumes the playing track, sees nothing queued behind it and
  looks again, from the same history.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Final

from shared.models import GuildSettings, QueueItem, Track
from shared.tasks import TaskOwner
from worker.player.config import PlayerStores
from worker.player.inbox import RelatedFound
from worker.player.ports import RelatedTracks
from worker.player.presence import Presence
from worker.player.state import Fenced, FencedState

_log: Final = logging.getLogger(__name__)

HISTORY_WINDOW: Final = 50
"""No track among the last this many played is queued again."""
SEED_TRACKS: Final = 5
"""The newest played tracks the related ones are found from (the mix uses the newest; the search their artists)."""


class Radio:
    def __init__(  # noqa: PLR0913 - the player's collaborators, shared with it
        self,
        guild_id: int,
        *,
        state: FencedState,
        stores: PlayerStores,
        related: RelatedTracks,
        presence: Presence,
        found: Callable[[RelatedFound], None],
        batch: int,
    ) -> None:
        """`found` puts a finished search into the player's inbox."""
        self.guild_id = guild_id
        self._state = state
        self._stores = stores
        self._related = related
        self._presence = presence
        self._found = found
        self._batch = batch
        self._generation = 0
        self._pending: int | None = None
        """The generation of the search in flight."""
        self._tried: str | None = None
        """The uid of the seed searched for last: one search per seed."""
        self._tasks = TaskOwner()
        self._extra = {"guild_id": guild_id}

    async def wanted(self) -> GuildSettings | None:
        """The guild's settings (read afresh: `/autoplay` holds from the next decision) when autoplay is on and
        somebody listens; None otherwise."""
        if self._presence.alone:
            return None
        settings = await self._stores.settings.get(self.guild_id)
        return settings if settings.autoplay else None

    async def track_started(self, item: QueueItem, queued: int) -> None:
        """`item` started with `queued` items behind it: look for more when there are none."""
        if queued == 0 and await self.wanted():
            self._search(item)

    async def queue_ran_out(self, finished: QueueItem | None) -> bool:
        """Nothing is left to play after `finished`: True when tracks are being looked for (the queue is not
        finished yet), False when the radio has nothing to add."""
        if not await self.wanted():
            return False
        if self._pending is None and finished is not None:
            self._search(finished)
        return self._pending is not None

    def stop(self) -> None:
        """A /stop or /leave: whatever the search in flight finds is dropped."""
        self._generation += 1
        self._pending = None

    async def apply(self, found: RelatedFound) -> bool | None:
        """Queue what a search found if the radio still wants it. None: a search given up (stopped, superseded);
        True when tracks were queued, False when none were (nothing found, autoplay off, alone, queue full)."""
        if found.generation != self._pending:
            return None
        self._pending = None
        settings = await self.wanted() if found.tracks else None
        if settings is None:
            return False
        items = [
            QueueItem(uid=uuid.uuid4().hex, track=track, requester_id=found.requester_id, autoplay=True)
            for track in found.tracks
        ]
        appended = await self._stores.queue.append_radio(
            self.guild_id, self._state.lease.fence, items, max_length=settings.max_queue_length
        )
        if appended is None:
            raise Fenced
        _log.info("autoplay queued %d related tracks", appended, extra=self._extra)
        return appended > 0

    def _search(self, seed: QueueItem) -> None:
        if self._pending is not None or seed.uid == self._tried:
            return
        self._tried = seed.uid
        self._generation += 1
        self._pending = self._generation
        self._tasks.spawn(self._find(self._generation, seed), name=f"autoplay-{self.guild_id}")

    async def _find(self, generation: int, seed: QueueItem) -> None:
        try:
            tracks = await self._look_up(seed)
        except Exception:  # noqa: BLE001 - a side task (Redis, the resolver): the radio ends as on an empty search
            _log.exception("autoplay could not find related tracks", extra=self._extra)
            tracks = []
        self._found(RelatedFound(generation, seed.requester_id, tuple(tracks)))

    async def _look_up(self, seed: QueueItem) -> list[Track]:
        history = await self._stores.players.history(self.guild_id, 0, HISTORY_WINDOW)
        queued = await self._stores.queue.all_items(self.guild_id)
        played = [item.track for item in history.items if item.uid != seed.uid]
        seeds = [seed.track, *played[: SEED_TRACKS - 1]]
        exclude = [seed.track, *played, *(item.track for item in queued)]
        return await self._related.related(seeds, exclude, self._batch)

    async def close(self) -> None:
        await self._tasks.aclose()
