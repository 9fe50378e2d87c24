"""Plays encore's gateway for voice tests: sends op 4 when the connection asks, feeds back the voice events.

A raw gateway v10 client (no nextcord) logged in to the fake Discord as the bot. Like
``gateway/events/voice_forwarder``, it turns VOICE_STATE_UPDATE + VOICE_SERVER_UPDATE into ``VoiceCredentials``: a
server update is fed with the last state; a state update that leaves (channel null) is fed at once. Everything fed
is tagged with the id of the last request the connection made (what the gateway forwards follows that request).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Final

import aiohttp
import orjson

from localdiscord.fake_discord import FakeDiscord
from shared.models import VoiceCredentials
from worker.voice.connection import VoiceConnection

_log: Final = logging.getLogger(__name__)
type JSON = dict[str, Any]


class GatewayRole:
    def __init__(self, http: aiohttp.ClientSession, fake: FakeDiscord, guild_id: int) -> None:
        self._http = http
        self._fake = fake
        self.guild_id = guild_id
        self.connection: VoiceConnection | None = None
        self.requests: list[int | None] = []
        self.request_id: str | None = None
        self.fed: list[VoiceCredentials] = []
        self.answer_requests = True
        """False: record op 4 requests but do not send them (Discord never answers)."""
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._session_id = ""
        self._channel_id: int | None = None

    async def start(self) -> None:
        self._ws = await self._http.ws_connect(f"{self._fake.gateway_url}?v=10&encoding=json", max_msg_size=0)
        self._reader = asyncio.get_running_loop().create_task(self._read(), name="test-gateway-reader")
        await self._send(2, {"token": self._fake.token, "properties": {"os": "linux"}, "intents": 1 | 128})
        async with asyncio.timeout(5):
            await self._ready.wait()

    async def stop(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader

    async def request_voice_state(self, channel_id: int | None, request_id: str) -> None:
        """The connection's ``request_voice_state`` callback (a VoiceStateRequest on Redis in production)."""
        self.requests.append(channel_id)
        self.request_id = request_id
        if self.answer_requests:
            await self.send_voice_state(channel_id)

    async def send_voice_state(self, channel_id: int | None) -> None:
        """Op 4 without a request of the connection's (as a moderator's action would change the voice state)."""
        data = {"guild_id": str(self.guild_id), "channel_id": channel_id, "self_mute": False, "self_deaf": True}
        await self._send(4, data)

    async def _send(self, op: int, data: JSON) -> None:
        assert self._ws is not None
        await self._ws.send_str(orjson.dumps({"op": op, "d": data}).decode())

    async def _read(self) -> None:
        assert self._ws is not None
        async for msg in self._ws:
            if msg.type is aiohttp.WSMsgType.TEXT:
                frame = orjson.loads(msg.data)
                if frame.get("op") == 0:
                    await self._dispatch(frame["t"], frame["d"])

    async def _dispatch(self, event: str, data: JSON) -> None:
        if event == "READY":
            self._ready.set()
        elif event == "VOICE_STATE_UPDATE" and int(data["user_id"]) == self._fake.bot_user_id:
            self._session_id = data["session_id"]
            self._channel_id = int(data["channel_id"]) if data["channel_id"] else None
            if self._channel_id is None:
                await self._feed(token=None, endpoint=None)
        elif event == "VOICE_SERVER_UPDATE" and int(data["guild_id"]) == self.guild_id:
            await self._feed(token=data["token"], endpoint=data["endpoint"])

    async def _feed(self, *, token: str | None, endpoint: str | None) -> None:
        credentials = VoiceCredentials(
            guild_id=self.guild_id,
            user_id=self._fake.bot_user_id,
            channel_id=self._channel_id,
            session_id=self._session_id,
            token=token,
            endpoint=endpoint,
            request_id=self.request_id,
        )
        self.fed.append(credentials)
        if self.connection is not None:
            await self.connection.feed_credentials(credentials)
