"""Carries out the workers' voice requests (join, move, leave) and rejoins active guilds after a restart.

Requests come from the shared voice-request stream; every gateway process reads all of it and acts on the guilds of
its shards. A request whose fence is older than the guild's current fence comes from a deposed owner and is
dropped, so a worker that lost its lease cannot make the bot leave or move. The stream cursor is kept in Redis, so
requests made while the gateway restarted are still carried out (unless they are too old to matter).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Final, Protocol

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from gateway.events.shards import ShardFilter
from gateway.events.voice_status import VoiceStatus
from gateway.stores.clients import STREAM_BLOCK_MS
from gateway.stores.cursors import CursorStore
from shared.active_store import ActiveGuildStore
from shared.events import VoiceStateRequest
from shared.lease_store import LeaseStore
from shared.player_store import PlayerStore
from shared.voice_store import VoiceStore

_log: Final = logging.getLogger(__name__)
MAX_REQUEST_AGE_MS: Final = 60_000
RETRY_DELAY_S: Final = 1.0
VOICE_OP_TIMEOUT_S: Final = 10.0
"""Sending op 4 can wait on nextcord's gateway send limiter; a worker that gets no credentials asks again."""


class VoiceControl(Protocol):
    def knows(self, guild_id: int) -> bool: ...

    def channel_of(self, guild_id: int) -> int | None: ...

    async def join(self, guild_id: int, channel_id: int, request_id: str | None = None) -> bool:
        """Join or move; what Discord answers is forwarded tagged with ``request_id`` (None: keep the tag)."""
        ...

    async def leave(self, guild_id: int, request_id: str | None = None) -> None: ...


class VoiceRequests:
    """The consumer of the voice-request stream, for this process's shards."""

    def __init__(  # noqa: PLR0913 - a composition point
        self,
        requests: VoiceStore,
        cursors: CursorStore,
        leases: LeaseStore,
        shards: ShardFilter,
        clock: Callable[[], int],
        control: VoiceControl,
        voice_status: VoiceStatus | None = None,
    ) -> None:
        self._requests = requests
        """On the stream client (blocking reads)."""
        self._cursors = cursors
        self._leases = leases
        self._shards = shards
        self._clock = clock
        """Wall-clock milliseconds (request ages)."""
        self._control = control
        self._voice_status = voice_status
        """Cleared before the bot leaves or moves (only a member of the channel may change it)."""

    async def run(self, ready: asyncio.Event | None = None) -> None:
        """Consume requests until cancelled; Redis outages are waited out."""
        cursor = await self._start_cursor()
        if ready is not None:
            ready.set()
        while True:
            try:
                entries = await self._requests.wait_requests(cursor, STREAM_BLOCK_MS)
                for entry in entries:
                    if entry.request is not None:
                        await self.handle(entry.request)
                    cursor = entry.entry_id
                if entries:
                    await self._cursors.save_voice_cursor(self._shards.key, cursor)
            except (RedisConnectionError, RedisTimeoutError):
                _log.warning("voice requests: Redis unavailable, retrying")
                await asyncio.sleep(RETRY_DELAY_S)

    async def _start_cursor(self) -> str:
        while True:
            try:
                stored = await self._cursors.voice_cursor(self._shards.key)
                return stored or await self._cursors.latest_voice_request()
            except (RedisConnectionError, RedisTimeoutError):
                _log.warning("voice requests: Redis unavailable at start, retrying")
                await asyncio.sleep(RETRY_DELAY_S)

    async def handle(self, request: VoiceStateRequest) -> bool:
        """Carry out one request; False when it was dropped (other shard, too old, stale fence, unknown guild)."""
        guild_id = request.guild_id
        if not self._shards.serves(guild_id) or not self._control.knows(guild_id):
            return False
        if request.at_ms and self._clock() - request.at_ms > MAX_REQUEST_AGE_MS:
            _log.info("dropping a voice request older than %d ms", MAX_REQUEST_AGE_MS, extra={"guild_id": guild_id})
            return False
        current = await self._leases.current_fence(guild_id)
        if request.fence < current:
            extra = {"guild_id": guild_id}
            _log.info("dropping a voice request with stale fence %d < %d", request.fence, current, extra=extra)
            return False
        try:
            if self._voice_status is not None:
                await self._voice_status.before_voice_change(guild_id, request.channel_id)
            async with asyncio.timeout(VOICE_OP_TIMEOUT_S):
                if request.channel_id is None:
                    await self._control.leave(guild_id, request.request_id)
                    return True
                return await self._control.join(guild_id, request.channel_id, request.request_id)
        except Exception:  # noqa: BLE001 - one request failing (Discord, cache) must not stop the consumer
            _log.warning("voice request failed", exc_info=True, extra={"guild_id": guild_id})
            return False


class Rejoiner:
    """After a (re)connect: back into the voice channel of each of this process's guilds that still needs a player."""

    def __init__(
        self, active: ActiveGuildStore, players: PlayerStore, shards: ShardFilter, control: VoiceControl
    ) -> None:
        self._active = active
        self._players = players
        self._shards = shards
        self._control = control

    async def rejoin(self, guild_id: int) -> bool:
        """Join the channel the guild's player was in, if the guild still needs a player."""
        if not self._shards.serves(guild_id):
            return False
        if not await self._active.is_active(guild_id):
            return False
        state = await self._players.load(guild_id)
        if state is None or state.voice_channel_id is None:
            return False
        _log.info("rejoining voice channel %s after a reconnect", state.voice_channel_id, extra={"guild_id": guild_id})
        return await self._control.join(guild_id, state.voice_channel_id)
