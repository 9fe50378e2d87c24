"""The player's link to its guild's voice connection: credentials fed in and voice states asked for, both only
while the lease is valid (whatever Redis holds for the guild belongs to its owner now)."""

from __future__ import annotations

import logging
from typing import Final

from redis.exceptions import RedisError

from shared.clock import now_ms
from shared.events import VoiceStateRequest
from shared.voice_store import VoiceStore
from worker.player.ports import LeaseView
from worker.voice.connection import VoiceConnection, VoiceStatus

_log: Final = logging.getLogger(__name__)


class VoiceBridge:
    """`VoicePort` over a VoiceConnection; fresh credentials come from Redis, where the gateway stores them.

    Credentials are fed only while the lease is valid: the credentials in Redis belong to whoever owns the guild
    now, and a deposed owner that fed them would open a voice session over the new owner's and silence it.
    """

    def __init__(self, guild_id: int, connection: VoiceConnection, voice_store: VoiceStore, lease: LeaseView) -> None:
        self._guild_id = guild_id
        self._connection = connection
        self._store = voice_store
        self._lease = lease

    async def connect(self, channel_id: int) -> None:
        await self._connection.connect(channel_id)

    async def refresh(self) -> None:
        if not self._lease.valid():
            return
        credentials = await self._store.credentials(self._guild_id)
        if credentials is not None and self._lease.valid():
            await self._connection.feed_credentials(credentials)

    def status(self) -> VoiceStatus:
        return self._connection.status()

    async def wait_ready(self, timeout_s: float) -> bool:
        return await self._connection.wait_connected(timeout_s)

    async def disconnect(self, *, leave: bool) -> None:
        await self._connection.disconnect(leave=leave)


class VoiceRequester:
    """Asks the gateway for a voice state update, stamped with this owner's fence (stale owners are ignored) and
    with the session's request id (the gateway tags the credentials that follow with it)."""

    def __init__(self, guild_id: int, lease: LeaseView, voice_store: VoiceStore) -> None:
        self._guild_id = guild_id
        self._lease = lease
        self._store = voice_store

    async def __call__(self, channel_id: int | None, request_id: str) -> None:
        if not self._lease.valid():
            return
        request = VoiceStateRequest(
            guild_id=self._guild_id,
            channel_id=channel_id,
            fence=self._lease.fence,
            at_ms=now_ms(),
            request_id=request_id,
        )
        try:
            await self._store.request(request)
        except (RedisError, OSError) as exc:
            _log.warning("could not ask the gateway for a voice state: %s", exc, extra={"guild_id": self._guild_id})
