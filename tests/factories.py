"""Small builders for wire models used across tests."""

from __future__ import annotations

import uuid

from shared.models import QueueItem, Track


def make_item(n: int, requester_id: int = 1, request_id: str | None = None, duration_ms: int = 5000) -> QueueItem:
    return QueueItem(
        uid=uuid.uuid4().hex,
        track=Track(url=f"http://127.0.0.1:8765/media/t{n}.mp3", title=f"track {n}", duration_ms=duration_ms),
        requester_id=requester_id,
        request_id=request_id,
    )


def titles(items: list[QueueItem] | tuple[QueueItem, ...]) -> list[str]:
    return [item.track.title for item in items]
