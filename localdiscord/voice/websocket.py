"""Voice gateway v8: IDENTIFY/READY, SELECT_PROTOCOL, heartbeats, SPEAKING, RESUME and the DAVE opcodes."""

from __future__ import annotations

import logging
import os
import secrets
import time
from typing import TYPE_CHECKING, Any, Final

import orjson
from aiohttp import WSMsgType, web

from localdiscord.records import VoiceClose
from localdiscord.voice.connection import Heartbeat, VoiceConnection
from localdiscord.voice.transport import SUPPORTED_MODES

if TYPE_CHECKING:
    from localdiscord.voice.server import VoiceServer

_log: Final = logging.getLogger(__name__)
type JSON = dict[str, Any]
_RESUMABLE_CLOSES: Final = frozenset({4015, 1001, 1006})


class VoiceSocket:
    """Handles one voice websocket; binds to a :class:`VoiceConnection` on IDENTIFY or RESUME."""

    def __init__(self, server: VoiceServer, ws: web.WebSocketResponse) -> None:
        self.server = server
        self.core = server.core
        self.ws = ws
        self.conn: VoiceConnection | None = None

    async def run(self) -> None:
        interval = self.core.config.voice_heartbeat_interval_ms
        await self.ws.send_str(orjson.dumps({"op": 8, "d": {"heartbeat_interval": interval}}).decode())
        async for msg in self.ws:
            if msg.type is WSMsgType.TEXT:
                await self._text(orjson.loads(msg.data))
            elif msg.type is WSMsgType.BINARY and self.conn is not None:
                await self._binary(bytes(msg.data))
        await self._closed()

    async def _reject(self, code: int) -> None:
        """Close a socket that has no voice session (yet) and record it as connection 0."""
        self.core.voice_closes.append(VoiceClose(self.server.index, 0, code, True, time.monotonic()))
        await self.ws.close(code=code)

    async def _closed(self) -> None:
        conn = self.conn
        if conn is None or conn.ws is not self.ws:
            return
        conn.closed_at = time.monotonic()
        code = conn.server_close if conn.server_close is not None else self.ws.close_code
        if code not in _RESUMABLE_CLOSES:
            self.server.end(conn)

    async def _text(self, frame: JSON) -> None:
        op, data = frame.get("op"), frame.get("d")
        if self.conn is not None:
            self.conn.record_received(op if isinstance(op, int) else -1, data)
        if op == 0:
            await self._identify(data if isinstance(data, dict) else {})
        elif op == 7:
            await self._resume(data if isinstance(data, dict) else {})
        elif self.conn is None:
            await self._reject(4003)
        elif op == 3:
            await self._heartbeat(self.conn, data)
        else:
            await self._session_op(self.conn, op, data)

    async def _session_op(self, conn: VoiceConnection, op: object, data: Any) -> None:
        call = self.server.call_for(conn)
        if op == 1:
            await self._select_protocol(conn, data)
        elif op == 5:
            conn.speaking = int(data.get("speaking", 0))
            conn.spoke = conn.spoke or conn.speaking != 0
        elif op == 23:
            await call.on_transition_ready(conn, int(data["transition_id"]))
        elif op == 31:
            await call.on_invalid_commit_welcome(conn)

    async def _binary(self, data: bytes) -> None:
        conn = self.conn
        assert conn is not None
        op, payload = data[0], data[1:]
        conn.record_received(op, payload)
        call = self.server.call_for(conn)
        if op == 26:
            await call.on_key_package(conn, payload)
        elif op == 28:
            await call.on_commit(conn, payload)

    async def _identify(self, data: JSON) -> None:
        grant = self.server.grant_for(data)
        if grant is None:
            await self._reject(4004)
            return
        max_dave = int(data.get("max_dave_protocol_version") or 0)
        if self.core.config.require_dave and max_dave < 1:
            await self._reject(4017)
            return
        conn = self.server.new_connection(grant, self.ws, max_dave)
        self.conn = conn
        conn.record_received(0, data)
        ready = {
            "ssrc": conn.ssrc,
            "ip": self.server.host,
            "port": self.server.udp_port,
            "modes": list(self.core.config.voice_modes),
            "heartbeat_interval": 1,
            "experiments": [],
        }
        await conn.send_json(2, ready)

    async def _select_protocol(self, conn: VoiceConnection, data: JSON) -> None:
        mode = (data.get("data") or {}).get("mode")
        if mode not in SUPPORTED_MODES or mode not in self.core.config.voice_modes:
            await conn.close(4016)
            return
        conn.mode = str(mode)
        conn.secret_key = os.urandom(32)
        description = {
            "mode": conn.mode,
            "secret_key": list(conn.secret_key),
            "dave_protocol_version": conn.dave_version,
            "audio_codec": "opus",
            "video_codec": "H264",
            "media_session_id": secrets.token_hex(16),
        }
        await conn.send_json(4, description)
        await self.server.call_for(conn).conn_ready(conn)

    async def _heartbeat(self, conn: VoiceConnection, data: Any) -> None:
        nonce = data.get("t") if isinstance(data, dict) else data
        seq_ack = data.get("seq_ack") if isinstance(data, dict) else None
        conn.heartbeats.append(Heartbeat(seq_ack, conn.seq, time.monotonic()))
        await conn.send_json(6, {"t": nonce}, numbered=False)
        if self.core.config.strict_seq_ack and self._lags(conn, seq_ack):
            await conn.close(4020)

    def _lags(self, conn: VoiceConnection, seq_ack: int | None) -> bool:
        """Strict mode: the ack must cover every numbered message sent more than a second ago."""
        horizon = time.monotonic() - 1.0
        old = [s.seq for s in conn.sent if s.at < horizon]
        return bool(old) and (seq_ack is None or seq_ack < max(old))

    async def _resume(self, data: JSON) -> None:
        conn = self.server.resumable(data)
        if conn is None:
            await self._reject(4006)
            return
        old = conn.ws
        conn.ws, conn.closed_at, conn.server_close = self.ws, None, None
        conn.resumes += 1
        self.conn = conn
        conn.record_received(7, data)
        if not old.closed:
            await old.close(code=4000)
        await conn.send_json(9, None if self.core.config.resumed_d_null else {}, numbered=False)
        seq_ack = data.get("seq_ack")
        await conn.replay(seq_ack if isinstance(seq_ack, int) else -1)
