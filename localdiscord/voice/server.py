"""A fake voice server: voice gateway v8 over TLS plus its UDP media port."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import socket
import threading
import time
from typing import Any, Final

from aiohttp import web

from localdiscord.fake_state import Core, VoiceGrant
from localdiscord.voice.call import Call
from localdiscord.voice.capture import ChannelAudio
from localdiscord.voice.connection import VoiceConnection
from localdiscord.voice.tls import TlsFiles
from localdiscord.voice.transport import TransportError, decrypt, discovery_reply, is_dave_frame, parse_rtp
from localdiscord.voice.udp_clock import prepare_receiver, receive_stamped
from localdiscord.voice.websocket import VoiceSocket

_log: Final = logging.getLogger(__name__)
type JSON = dict[str, Any]


def bind_tcp(host: str, port: int) -> socket.socket:
    """A listening TCP socket (port 0 picks a free one)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


class VoiceUdp:
    """IP discovery, keepalive echo and RTP intake (with UDP fault injection).

    A receiver thread does the blocking reads and stamps each datagram's arrival time there, so pacing figures
    (intervals, jitter, gaps) stay true when the event loop that decrypts and decodes is busy.
    """

    def __init__(self, server: VoiceServer) -> None:
        self.server = server
        self.sock: socket.socket | None = None
        self.keepalives = 0
        self.discoveries = 0
        self.dropped = 0
        self.unknown = 0
        self.received = 0
        """Datagrams the receiver thread read (only it writes this)."""
        self.handled = 0
        """Datagrams the event loop has handled; behind `received` while the loop is busy."""
        self._thread: threading.Thread | None = None
        self._running = False

    def start(self, host: str, port: int, loop: asyncio.AbstractEventLoop) -> int:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((host, port))
        sock.settimeout(0.2)
        prepare_receiver(sock)
        self.sock = sock
        self._running = True
        self._thread = threading.Thread(target=self._receive, args=(loop,), name="fake-voice-udp", daemon=True)
        self._thread.start()
        bound: int = sock.getsockname()[1]
        return bound

    def stop(self) -> None:
        self._running = False
        if self._thread is not None:
            self._thread.join(timeout=2)
        if self.sock is not None:
            self.sock.close()

    def _receive(self, loop: asyncio.AbstractEventLoop) -> None:
        assert self.sock is not None
        while self._running:
            try:
                data, addr, arrival = receive_stamped(self.sock)
            except TimeoutError:
                continue
            except OSError:
                return
            if self._answer(data, addr):
                continue  # the UDP server answers these itself, however busy the rest of Discord is
            self.received += 1
            with contextlib.suppress(RuntimeError):  # the loop closed while the thread was reading
                loop.call_soon_threadsafe(self.datagram_received, data, addr, arrival)

    def _answer(self, data: bytes, addr: tuple[str | Any, int]) -> bool:
        """Answer IP discovery and keepalives on the receiver thread; False for media."""
        assert self.sock is not None
        reply = discovery_reply(data, str(addr[0]), int(addr[1]))
        if reply is not None:
            self.discoveries += 1
            self.sock.sendto(reply, addr)
            return True
        if len(data) == 8:
            self.keepalives += 1
            self.sock.sendto(data, addr)
            return True
        return False

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int], arrival: float) -> None:
        self.handled += 1
        faults = self.server.core.faults.udp
        if faults.drop():
            self.dropped += 1
            return
        delay = faults.latency()
        if delay > 0:
            asyncio.get_running_loop().call_later(delay, self.server.media, data, arrival + delay)
        else:
            self.server.media(data, arrival)


class VoiceServer:
    def __init__(self, core: Core, index: int, tls: TlsFiles, audio: dict[int, ChannelAudio]) -> None:
        self.core = core
        self.index = index
        self.tls = tls
        self.host = core.config.host
        self.audio = audio
        self.port = 0
        self.udp_port = 0
        self.connections: dict[int, VoiceConnection] = {}
        self.calls: dict[int, Call] = {}
        self.udp = VoiceUdp(self)
        self._runner: web.AppRunner | None = None
        self._sockets: set[web.WebSocketResponse] = set()

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    async def start(self, port: int = 0, udp_port: int = 0) -> None:
        app = web.Application()
        app.router.add_get("/", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = bind_tcp(self.host, port)
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock, ssl_context=self.tls.server_context()).start()
        self.udp_port = self.udp.start(self.host, udp_port, asyncio.get_running_loop())

    async def stop(self) -> None:
        for ws in list(self._sockets):
            with contextlib.suppress(ConnectionError):
                await ws.close(code=1001)
        for call in self.calls.values():
            call.close()
        self.udp.stop()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0, autoclose=True)
        await ws.prepare(request)
        self._sockets.add(ws)
        try:
            await VoiceSocket(self, ws).run()
        finally:
            self._sockets.discard(ws)
        return ws

    # sessions

    def grant_for(self, data: JSON) -> VoiceGrant | None:
        try:
            key = (int(data["server_id"]), int(data["user_id"]))
        except (KeyError, TypeError, ValueError):
            return None
        grant = self.core.grants.get(key)
        if grant is None or grant.server != self.index:
            return None
        if grant.session_id != data.get("session_id") or grant.token != data.get("token"):
            return None
        return grant

    def new_connection(self, grant: VoiceGrant, ws: web.WebSocketResponse, max_dave: int) -> VoiceConnection:
        for old in list(self.connections.values()):
            if old.user_id == grant.user_id and old.grant.guild_id == grant.guild_id:
                self.end(old)
        version = min(self.core.config.dave_version, max_dave)
        conn = VoiceConnection(self.core, self.index, grant, ws, secrets.randbelow(1 << 31) + 1, max_dave, version)
        self.connections[conn.id] = conn
        self.call_for(conn).conns.append(conn)
        return conn

    def call_for(self, conn: VoiceConnection) -> Call:
        call = self.calls.get(conn.channel_id)
        if call is None:
            audio = self.audio.setdefault(conn.channel_id, ChannelAudio(conn.channel_id))
            call = self.calls[conn.channel_id] = Call(self.core, conn.grant.guild_id, conn.channel_id, audio)
            guild = self.core.world.guilds[conn.grant.guild_id]
            for state in guild.voice_states.values():
                if state.channel_id == conn.channel_id and state.user_id != self.core.world.bot.id:
                    call.add_listener(state.user_id)
        return call

    def resumable(self, data: JSON) -> VoiceConnection | None:
        window = self.core.config.voice_resume_window
        for conn in self.connections.values():
            grant = conn.grant
            if (
                str(grant.guild_id) == str(data.get("server_id"))
                and grant.session_id == data.get("session_id")
                and grant.token == data.get("token")
                and not conn.ended
                and (conn.closed_at is None or time.monotonic() - conn.closed_at < window)
            ):
                return conn
        return None

    def end(self, conn: VoiceConnection) -> None:
        if conn.ended:
            return
        conn.ended = True
        self.connections.pop(conn.id, None)
        call = self.calls.get(conn.channel_id)
        if call is not None:
            call.conn_gone(conn)

    def active(self, user_id: int, guild_id: int) -> VoiceConnection | None:
        for conn in self.connections.values():
            if conn.user_id == user_id and conn.grant.guild_id == guild_id and not conn.ended:
                return conn
        return None

    # media

    def media(self, data: bytes, arrival: float) -> None:
        try:
            header = parse_rtp(data)
        except TransportError:
            return
        if header.is_rtcp:
            return
        conn = next((c for c in self.connections.values() if c.ssrc == header.ssrc), None)
        if conn is None or not conn.secret_key:
            self.udp.unknown += 1
            return
        call = self.call_for(conn)
        stream = call.audio.stream(conn.user_id)
        try:
            frame = decrypt(conn.mode, conn.secret_key, data, header)
        except TransportError:
            stream.transport_failures += 1
            return
        if not conn.spoke:
            stream.before_speaking += 1
        stream.add(header.ssrc, header.seq, frame, is_dave_frame(frame), arrival)
        call.on_media(conn, frame, arrival)
