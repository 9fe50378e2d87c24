"""What members read about autoplay (the radio that keeps playing related tracks when the queue runs out)."""

from __future__ import annotations

from typing import Final

from gateway.wording.language import mark, tr, trn

MARK: Final = mark("📻 autoplay")
"""Shown instead of a requester on the items autoplay queued (the queue, the history, the now-playing card)."""
MODES: Final = ("on", "off")
BAD_MODE: Final = mark("Autoplay must be `on` or `off`.")


def switched(on: bool, removed: int) -> str:
    """The reply to `/autoplay on|off`; `removed`: the autoplayed items `off` took out of the queue."""
    if on:
        return tr("📻 Autoplay on: when the queue runs out, related tracks keep playing.")
    if removed:
        return trn(
            "📻 Autoplay off: {count} autoplayed track taken out of the queue.",
            "📻 Autoplay off: {count} autoplayed tracks taken out of the queue.",
            removed,
        )
    return tr("📻 Autoplay off: the music stops when the queue runs out.")
