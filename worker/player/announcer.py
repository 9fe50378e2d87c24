"""What a guild player tells the gateway: events on the guild's event stream, best effort.

Events are sent after the change they describe was committed; one that cannot be published (Redis away) is logged
and dropped, never retried into a later state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Final

from redis.exceptions import RedisError

from shared.clock import now_ms
from shared.event_store import EventStore
from shared.events import Event, EventBase

_log: Final = logging.getLogger(__name__)


class Announcer:
    def __init__(self, guild_id: int, events: EventStore, text_channel: Callable[[], int | None]) -> None:
        """`text_channel()` is the channel the guild's player talks in now (each command may move it)."""
        self._guild_id = guild_id
        self._events = events
        self._text_channel = text_channel

    def event[E: EventBase](self, kind: type[E], **fields: Any) -> E:
        return kind(guild_id=self._guild_id, at_ms=now_ms(), text_channel_id=self._text_channel(), **fields)

    async def publish(self, event: Event) -> None:
        try:
            await self._events.publish(event)
        except (OSError, RedisError) as exc:
            _log.warning("could not publish %s: %s", type(event).__name__, exc, extra={"guild_id": self._guild_id})
