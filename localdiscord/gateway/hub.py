"""Gateway v10: HELLO, IDENTIFY/READY/GUILD_CREATE, heartbeats, RESUME, RECONNECT, INVALID_SESSION."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Iterable
from typing import Any, Final, Protocol

import orjson
from aiohttp import WSMsgType, web

from localdiscord.fake_state import Core
from localdiscord.gateway.session import GatewayConnection, GatewaySession

_log: Final = logging.getLogger(__name__)
type JSON = dict[str, Any]


class VoiceHooks(Protocol):
    async def bot_voice_state(self, session: GatewaySession, data: JSON) -> None: ...

    async def gateway_session_died(self, session_id: str) -> None: ...


class GatewayHub:
    """Serves ``/gateway`` and owns every gateway session."""

    def __init__(self, core: Core, voice: VoiceHooks) -> None:
        self.core = core
        self.voice = voice
        self.sessions: dict[str, GatewaySession] = {}
        self.connections: set[GatewayConnection] = set()

    def live_sessions(self) -> list[GatewaySession]:
        return [s for s in self.sessions.values() if not s.dead]

    def sessions_for(self, guild_id: int) -> list[GatewaySession]:
        return [s for s in self.live_sessions() if s.covers(guild_id)]

    async def dispatch_guild(self, guild_id: int, event: str, data: JSON) -> None:
        for session in self.sessions_for(guild_id):
            await session.dispatch(event, data)

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoclose=True)
        await ws.prepare(request)
        conn = GatewayConnection(self.core, ws, request.query.get("compress") == "zlib-stream")
        self.connections.add(conn)
        try:
            interval = self.core.config.heartbeat_interval_ms
            await conn.send({"op": 10, "d": {"heartbeat_interval": interval}, "s": None, "t": None})
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._receive(conn, orjson.loads(msg.data))
        finally:
            self.connections.discard(conn)
            self._detached(conn)
        return ws

    async def _receive(self, conn: GatewayConnection, frame: JSON) -> None:
        self.core.log_gateway(conn.session.id if conn.session else None, "recv", frame)
        op, raw = frame.get("op"), frame.get("d")
        data: JSON = raw if isinstance(raw, dict) else {}
        if op == 1:
            await conn.send({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            await self._identify(conn, data)
        elif op == 6:
            await self._resume(conn, data)
        elif op == 4 and conn.session is not None:
            await self.voice.bot_voice_state(conn.session, data)
        elif op == 8 and conn.session is not None:
            await self._members_chunk(conn.session, data)

    async def _identify(self, conn: GatewayConnection, data: JSON) -> None:
        if data.get("token") != self.core.config.token:
            await conn.close(4004)
            return
        shard = data.get("shard") or [0, 1]
        if len(shard) != 2 or not 0 <= shard[0] < shard[1]:
            await conn.close(4010)
            return
        session = GatewaySession(secrets.token_hex(16), (int(shard[0]), int(shard[1])), int(data.get("intents", 0)))
        self.sessions[session.id] = session
        session.conn = conn
        conn.session = session
        guilds = [g for g in self.core.world.guilds.values() if session.covers(g.id)]
        await session.dispatch("READY", self._ready(session, [g.id for g in guilds]))
        for guild in guilds:
            await session.dispatch("GUILD_CREATE", guild.create_payload())

    def _ready(self, session: GatewaySession, guild_ids: Iterable[int]) -> JSON:
        world = self.core.world
        return {
            "v": 10,
            "user": world.bot.payload() | {"verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": str(g), "unavailable": True} for g in guild_ids],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.core.gateway_url,
            "shard": list(session.shard),
            "application": {"id": str(world.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "user_settings": {},
            "geo_ordered_rtc_regions": ["fake"],
            "_trace": ["fake-gateway"],
        }

    async def _resume(self, conn: GatewayConnection, data: JSON) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or session.dead or data.get("token") != self.core.config.token:
            await conn.send({"op": 9, "d": False, "s": None, "t": None})
            return
        session.cancel_death()
        if session.conn is not None and session.conn is not conn:
            await session.conn.close(4000)
        session.conn = conn
        conn.session = session
        await session.replay(int(data.get("seq") or 0))
        await session.dispatch("RESUMED", {"_trace": ["fake-gateway"]})

    async def _members_chunk(self, session: GatewaySession, data: JSON) -> None:
        guild = self.core.world.guilds.get(int(data.get("guild_id", 0)))
        if guild is None:
            return
        chunk = {
            "guild_id": str(guild.id),
            "members": [m.payload() for m in guild.members.values()],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        await session.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    def _detached(self, conn: GatewayConnection) -> None:
        session = conn.session
        if session is None or session.conn is not conn:
            return
        session.conn = None
        if not session.dead and session.death is None:
            session.death = asyncio.get_running_loop().create_task(self._die_later(session))

    async def _die_later(self, session: GatewaySession) -> None:
        await asyncio.sleep(self.core.config.voice_grace)
        session.death = None
        await self.kill(session)

    async def kill(self, session: GatewaySession) -> None:
        """The session is over: no RESUME any more, and its voice sessions end."""
        if session.dead:
            return
        session.dead = True
        session.cancel_death()
        _log.info("gateway session %s died; ending its voice sessions", session.id)
        await self.voice.gateway_session_died(session.id)

    # fault injection

    async def send_reconnect(self, session: GatewaySession) -> None:
        if session.conn is not None:
            await session.conn.send({"op": 7, "d": None, "s": None, "t": None})

    async def send_invalid_session(self, session: GatewaySession, resumable: bool) -> None:
        conn = session.conn
        if not resumable:
            session.dead = True
            session.death = asyncio.get_running_loop().create_task(self._voice_end_later(session))
        if conn is not None:
            await conn.send({"op": 9, "d": resumable, "s": None, "t": None})

    async def _voice_end_later(self, session: GatewaySession) -> None:
        await asyncio.sleep(self.core.config.voice_grace)
        session.death = None
        await self.voice.gateway_session_died(session.id)

    async def close(self) -> None:
        for session in self.sessions.values():
            session.cancel_death()
        for conn in list(self.connections):
            with contextlib.suppress(ConnectionError):
                await conn.close(1001)
