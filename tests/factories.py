"""Small builders for wire models used across tests."""

from __future__ import annotations

import time
import uuid

from shared.models import QueueItem, Track
from worker.audio.stream import PlayableStream


def make_item(n: int, requester_id: int = 1, request_id: str | None = None, duration_ms: int = 5000) -> QueueItem:
    return QueueItem(
        uid=uuid.uuid4().hex,
        track=Track(url=f"http://127.0.0.1:8765/media/t{n}.mp3", title=f"track {n}", duration_ms=duration_ms),
        requester_id=requester_id,
        request_id=request_id,
    )


def titles(items: list[QueueItem] | tuple[QueueItem, ...]) -> list[str]:
    return [item.track.title for item in items]


def make_stream(
    url: str,
    *,
    is_opus: bool | None = None,
    ext: str | None = None,
    headers: tuple[tuple[str, str], ...] = (),
    duration_ms: int | None = None,
) -> PlayableStream:
    """A resolved stream as the resolver hands it over (valid for an hour)."""
    return PlayableStream(
        url=url,
        is_opus=is_opus,
        ext=ext,
        http_headers=dict(headers),
        duration_ms=duration_ms,
        expires_at=time.time() + 3600,
    )
