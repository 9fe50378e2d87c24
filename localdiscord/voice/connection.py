"""One client's voice session on a fake voice server: numbering, replay buffer, sends and closes."""

from __future__ import annotations

import contextlib
import itertools
import logging
import struct
import time
from dataclasses import dataclass, field
from typing import Any, Final

import orjson
from aiohttp import web

from localdiscord.fake_state import Core, VoiceGrant
from localdiscord.records import VoiceClose, VoiceRecord

_log: Final = logging.getLogger(__name__)
_ids: Final = itertools.count(1)
type JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Heartbeat:
    seq_ack: int | None
    server_seq: int
    at: float


@dataclass(slots=True)
class Sent:
    seq: int
    op: int
    data: Any
    binary: bool
    at: float = field(default_factory=time.monotonic)


@dataclass(slots=True)
class VoiceConnection:
    """A voice session: created by IDENTIFY, survives a RESUME on a new websocket."""

    core: Core
    server: int
    grant: VoiceGrant
    ws: web.WebSocketResponse
    ssrc: int
    max_dave: int
    dave_version: int
    id: int = field(default_factory=lambda: next(_ids))
    mode: str = ""
    secret_key: bytes = b""
    seq: int = 0
    sent: list[Sent] = field(default_factory=list)
    heartbeats: list[Heartbeat] = field(default_factory=list)
    speaking: int = 0
    spoke: bool = False
    udp_addr: tuple[str, int] | None = None
    key_package: bytes | None = None
    kp_fresh: bool = False
    resumes: int = 0
    closed_at: float | None = None
    server_close: int | None = None
    ended: bool = False

    @property
    def user_id(self) -> int:
        return self.grant.user_id

    @property
    def channel_id(self) -> int:
        return self.grant.channel_id

    def _record(self, direction: str, op: int, data: Any, seq: int | None) -> None:
        self.core.voice_log.append(VoiceRecord(self.server, self.id, direction, op, data, seq, time.monotonic()))

    def record_received(self, op: int, data: Any) -> None:
        self._record("recv", op, data, None)

    async def send_json(self, op: int, data: Any, *, numbered: bool = True) -> None:
        frame: JSON = {"op": op, "d": data}
        seq = None
        if numbered:
            self.seq += 1
            seq = frame["seq"] = self.seq
            self.sent.append(Sent(self.seq, op, data, binary=False))
        self._record("send", op, data, seq)
        await self._send_text(orjson.dumps(frame).decode())

    async def send_binary(self, op: int, payload: bytes) -> None:
        self.seq += 1
        self.sent.append(Sent(self.seq, op, payload, binary=True))
        self._record("send", op, payload, self.seq)
        await self._send_bytes(struct.pack(">HB", self.seq & 0xFFFF, op) + payload)

    async def _send_text(self, text: str) -> None:
        if self.ws.closed:
            return
        with contextlib.suppress(ConnectionError):
            await self.ws.send_str(text)

    async def _send_bytes(self, data: bytes) -> None:
        if self.ws.closed:
            return
        with contextlib.suppress(ConnectionError):
            await self.ws.send_bytes(data)

    async def replay(self, after: int) -> int:
        """Re-send numbered messages with ``seq > after`` on the current websocket."""
        count = 0
        for sent in self.sent:
            if sent.seq <= after:
                continue
            count += 1
            if sent.binary:
                await self._send_bytes(struct.pack(">HB", sent.seq & 0xFFFF, sent.op) + sent.data)
            else:
                await self._send_text(orjson.dumps({"op": sent.op, "d": sent.data, "seq": sent.seq}).decode())
        return count

    async def close(self, code: int) -> None:
        """Close the current websocket from the server side with ``code``."""
        if self.ws.closed:
            return
        self.server_close = code
        self.core.voice_closes.append(VoiceClose(self.server, self.id, code, True, time.monotonic()))
        _log.info("voice server %s closes connection %s with %s", self.server, self.id, code)
        await self.ws.close(code=code)
