"""The poison-item policy: an item that cannot be played is failed once and skipped, never retried forever.

A track that cannot be opened, probed or decoded fails at once (TrackFailed, next track). What cannot be seen
failing is counted in the fenced player state (`ItemTrouble`), so it survives a restart and a takeover:

- a player that crashes records a crash on its now-playing item; its owner restarts it, and after `max_crashes`
  crashes on the same item that item is skipped;
- an owner marks an item `opening` before it opens it and clears the mark once it plays; a new owner that finds
  the mark left by another owner (a different fence) skips the item without retrying it: the old owner may have
  died of it. A graceful handoff clears the mark.
"""

from __future__ import annotations

from shared.errors import PlaybackError
from shared.events import PlaybackFailure
from shared.models import ItemTrouble, QueueItem
from worker.audio.errors import SourceTimeoutError


def failure_of(error: PlaybackError) -> PlaybackFailure:
    return PlaybackFailure.TIMED_OUT if isinstance(error, SourceTimeoutError) else PlaybackFailure.UNREADABLE


def _of(trouble: ItemTrouble | None, item: QueueItem) -> ItemTrouble | None:
    return trouble if trouble is not None and trouble.uid == item.uid else None


def verdict(
    trouble: ItemTrouble | None, item: QueueItem, *, inherited_fence: int, fence: int, max_crashes: int
) -> PlaybackFailure | None:
    """Whether an owner starting with `item` now playing must skip it instead of (re)trying it."""
    known = _of(trouble, item)
    if known is None:
        return None
    if known.opening and inherited_fence != fence:
        return PlaybackFailure.INTERRUPTED
    if known.crashes >= max_crashes:
        return PlaybackFailure.CRASHED
    return None


def opening(trouble: ItemTrouble | None, item: QueueItem) -> ItemTrouble:
    known = _of(trouble, item)
    return ItemTrouble(uid=item.uid, crashes=known.crashes if known else 0, opening=True)


def playing(trouble: ItemTrouble | None) -> ItemTrouble | None:
    """The item plays: the opening mark goes, the crash count stays (a crash may come back mid-track)."""
    if trouble is None or not trouble.crashes:
        return None
    return trouble.model_copy(update={"opening": False})


def crashed(trouble: ItemTrouble | None, item: QueueItem) -> ItemTrouble:
    known = _of(trouble, item)
    return ItemTrouble(uid=item.uid, crashes=(known.crashes if known else 0) + 1)


def handed_off(trouble: ItemTrouble | None) -> ItemTrouble | None:
    """A graceful handoff says nothing about the item: the next owner may open it again."""
    return playing(trouble)
