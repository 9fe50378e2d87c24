"""Minimal hand-written gateway and voice clients (not nextcord) for protocol-level tests of the fake."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, override

import aiohttp
import orjson

from localdiscord.voice.transport import discovery_request, encrypt, rtp_header
from localdiscord.waiting import wait_until

type JSON = dict[str, Any]


class RawGateway:
    """A gateway v10 client that records every frame it receives."""

    def __init__(self, session: aiohttp.ClientSession, url: str, token: str, *, compress: bool = True) -> None:
        self.http = session
        self.url = url + ("?v=10&encoding=json&compress=zlib-stream" if compress else "?v=10&encoding=json")
        self.token = token
        self.frames: list[JSON] = []
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self._inflate = zlib.decompressobj()
        self._buffer = bytearray()
        self._reader: asyncio.Task[None] | None = None

    async def connect(self) -> JSON:
        """Open the socket and return HELLO."""
        self.ws = await self.http.ws_connect(self.url, max_msg_size=0)
        self._reader = asyncio.get_running_loop().create_task(self._read())
        return await self.wait_op(10)

    async def _read(self) -> None:
        assert self.ws is not None
        async for msg in self.ws:
            if msg.type is aiohttp.WSMsgType.TEXT:
                self.frames.append(orjson.loads(msg.data))
            elif msg.type is aiohttp.WSMsgType.BINARY:
                self._buffer.extend(msg.data)
                if bytes(self._buffer[-4:]) == b"\x00\x00\xff\xff":
                    self.frames.append(orjson.loads(self._inflate.decompress(bytes(self._buffer))))
                    self._buffer.clear()

    async def send(self, op: int, data: Any) -> None:
        assert self.ws is not None
        await self.ws.send_str(orjson.dumps({"op": op, "d": data}).decode())

    async def identify(self, shard: list[int] | None = None, intents: int = 3243773) -> JSON:
        data: JSON = {"token": self.token, "properties": {"os": "linux"}, "intents": intents}
        if shard is not None:
            data["shard"] = shard
        await self.send(2, data)
        return await self.wait_event("READY")

    async def wait_op(self, op: int, timeout: float = 5.0, after: int = 0) -> JSON:  # noqa: ASYNC109
        return await self._wait(lambda f: f.get("op") == op, timeout, after)

    async def wait_event(self, name: str, timeout: float = 5.0, after: int = 0) -> JSON:  # noqa: ASYNC109
        return await self._wait(lambda f: f.get("t") == name, timeout, after)

    async def _wait(self, match: Callable[[JSON], bool], timeout: float, after: int) -> JSON:  # noqa: ASYNC109
        def probe() -> JSON | None:
            return next((frame for frame in self.frames[after:] if match(frame)), None)

        return await wait_until(probe, timeout, "a gateway frame")

    def events(self, name: str) -> list[JSON]:
        return [f["d"] for f in self.frames if f.get("t") == name]

    async def wait_closed(self, timeout: float = 5.0) -> int | None:  # noqa: ASYNC109
        """Wait for the server to close the socket; returns the close code."""
        assert self.ws is not None and self._reader is not None
        await asyncio.wait_for(asyncio.shield(self._reader), timeout)
        return self.ws.close_code

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader


class _Udp(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.received: asyncio.Queue[bytes] = asyncio.Queue()

    @override
    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.received.put_nowait(data)


@dataclass(slots=True)
class RawVoice:
    """A voice gateway v8 client with its own UDP socket; sends RTP in either AEAD mode, no DAVE."""

    endpoint: str
    ssl_context: ssl.SSLContext
    identify: JSON
    mode: str
    messages: list[JSON] = field(default_factory=list)
    binary: list[bytes] = field(default_factory=list)
    ready: JSON = field(default_factory=dict)
    secret_key: bytes = b""
    close_code: int | None = None
    seq: int = 0
    nonce: int = 0
    ws: aiohttp.ClientWebSocketResponse | None = None
    udp: asyncio.DatagramTransport | None = None
    proto: _Udp = field(default_factory=_Udp)
    discovered: tuple[str, int] | None = None
    reader: asyncio.Task[None] | None = None

    async def connect(self, session: aiohttp.ClientSession) -> None:
        """IDENTIFY, IP discovery, SELECT_PROTOCOL; returns once SESSION_DESCRIPTION arrived (or closed)."""
        self.ws = await session.ws_connect(f"wss://{self.endpoint}/?v=8", ssl=self.ssl_context)
        self.reader = asyncio.get_running_loop().create_task(self.pump())
        await self.send(0, self.identify)
        await self._until(lambda: any(m["op"] == 2 for m in self.messages))
        self.ready = next(m["d"] for m in self.messages if m["op"] == 2)
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: self.proto, local_addr=("127.0.0.1", 0))
        assert isinstance(transport, asyncio.DatagramTransport)
        self.udp = transport
        self.discovered = await self.discover()
        address = {"address": self.discovered[0], "port": self.discovered[1], "mode": self.mode}
        await self.send(1, {"protocol": "udp", "data": address})
        await self._until(lambda: any(m["op"] == 4 for m in self.messages))
        self.secret_key = bytes(next(m["d"] for m in self.messages if m["op"] == 4)["secret_key"])

    async def discover(self) -> tuple[str, int]:
        assert self.udp is not None
        self.udp.sendto(discovery_request(self.ready["ssrc"]), (self.ready["ip"], self.ready["port"]))
        reply = await asyncio.wait_for(self.proto.received.get(), 5)
        host = reply[8 : reply.index(0, 8)].decode()
        return host, int.from_bytes(reply[-2:], "big")

    async def pump(self) -> None:
        """Read the websocket until it closes; records messages and the close code."""
        assert self.ws is not None
        async for msg in self.ws:
            if msg.type is aiohttp.WSMsgType.TEXT:
                self.messages.append(orjson.loads(msg.data))
            elif msg.type is aiohttp.WSMsgType.BINARY:
                self.binary.append(bytes(msg.data))
        self.close_code = self.ws.close_code

    async def _until(self, condition: Callable[[], bool], timeout: float = 5.0) -> None:  # noqa: ASYNC109
        def probe() -> bool:
            if condition():
                return True
            if self.reader is None or self.reader.done():
                raise ConnectionError(f"voice socket closed with {self.close_code}")
            return False

        await wait_until(probe, timeout, "a voice message")

    async def wait_closed(self, timeout: float = 5.0) -> int | None:  # noqa: ASYNC109
        assert self.reader is not None
        await asyncio.wait_for(asyncio.shield(self.reader), timeout)
        return self.close_code

    async def send(self, op: int, data: Any) -> None:
        assert self.ws is not None
        await self.ws.send_str(orjson.dumps({"op": op, "d": data}).decode())

    def send_frame(self, frame: bytes) -> None:
        """One 20 ms RTP packet carrying ``frame``."""
        assert self.udp is not None
        self.seq += 1
        header = rtp_header(self.seq, (self.seq - 1) * 960, self.ready["ssrc"])
        self.udp.sendto(
            encrypt(self.mode, self.secret_key, header, frame, self.nonce), (self.ready["ip"], self.ready["port"])
        )
        self.nonce += 1

    async def close(self) -> None:
        if self.ws is not None and not self.ws.closed:
            await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.reader
        if self.udp is not None:
            self.udp.close()


async def raw_join(
    http: aiohttp.ClientSession, gateway_url: str, token: str, guild_id: int, channel_id: int
) -> tuple[RawGateway, JSON]:
    """IDENTIFY on the gateway and send op 4; returns the gateway and voice IDENTIFY data (+ ``endpoint``)."""
    gateway = RawGateway(http, gateway_url, token)
    await gateway.connect()
    ready = await gateway.identify()
    mark = len(gateway.frames)
    await gateway.send(
        4, {"guild_id": str(guild_id), "channel_id": str(channel_id), "self_mute": False, "self_deaf": False}
    )
    state = await gateway.wait_event("VOICE_STATE_UPDATE", after=mark)
    server = await gateway.wait_event("VOICE_SERVER_UPDATE", after=mark)
    identify = {
        "server_id": str(guild_id),
        "user_id": ready["d"]["user"]["id"],
        "session_id": state["d"]["session_id"],
        "token": server["d"]["token"],
        "endpoint": server["d"]["endpoint"],
    }
    return gateway, identify
