"""One gateway session (survives reconnects until it dies) and one websocket connection."""

from __future__ import annotations

import asyncio
import logging
import zlib
from typing import Any, Final

import orjson
from aiohttp import web

from localdiscord.fake_state import Core

_log: Final = logging.getLogger(__name__)
type JSON = dict[str, Any]


class GatewayConnection:
    """A gateway websocket, optionally zlib-stream compressed (one compressor per connection)."""

    def __init__(self, core: Core, ws: web.WebSocketResponse, compress: bool) -> None:
        self.core = core
        self.ws = ws
        self._zlib = zlib.compressobj() if compress else None
        self.session: GatewaySession | None = None
        self._lock = asyncio.Lock()

    async def send(self, frame: JSON) -> None:
        if self.ws.closed:
            return
        self.core.log_gateway(self.session.id if self.session else None, "send", frame)
        data = orjson.dumps(frame)
        async with self._lock:
            try:
                if self._zlib is None:
                    await self.ws.send_str(data.decode())
                else:
                    await self.ws.send_bytes(self._zlib.compress(data) + self._zlib.flush(zlib.Z_SYNC_FLUSH))
            except ConnectionError:
                _log.debug("gateway send failed: connection gone")

    async def close(self, code: int) -> None:
        await self.ws.close(code=code)


class GatewaySession:
    """Seq numbering, the replay buffer for RESUME, and the shard this session serves."""

    def __init__(self, session_id: str, shard: tuple[int, int], intents: int) -> None:
        self.id = session_id
        self.shard = shard
        self.intents = intents
        self.seq = 0
        self.buffer: list[JSON] = []
        self.conn: GatewayConnection | None = None
        self.dead = False
        self.death: asyncio.Task[None] | None = None

    def covers(self, guild_id: int) -> bool:
        shard_id, count = self.shard
        return (guild_id >> 22) % count == shard_id

    async def dispatch(self, event: str, data: JSON) -> None:
        """Number and buffer a dispatch; send it now if a connection is attached."""
        self.seq += 1
        frame = {"op": 0, "d": data, "s": self.seq, "t": event}
        self.buffer.append(frame)
        if self.conn is not None:
            await self.conn.send(frame)

    async def replay(self, after: int) -> int:
        """Re-send buffered dispatches with ``s > after``; returns how many."""
        frames = [f for f in self.buffer if f["s"] > after]
        if self.conn is not None:
            for frame in frames:
                await self.conn.send(frame)
        return len(frames)

    def cancel_death(self) -> None:
        if self.death is not None:
            self.death.cancel()
            self.death = None
