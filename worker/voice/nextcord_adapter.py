"""nextcord 3.2.0's voice stack without a gateway: stand-ins, four bug fixes and the voice transport.

Only this module touches nextcord internals. Line numbers refer to nextcord v3.2.0 (commit c9aafecb); every one of
the private names used here is listed in docs/voice-protocol.md §5 (the bugs in §6) and must be re-checked when
nextcord is bumped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Self, override

import aiohttp
import dave
from nextcord import opus
from nextcord.enums import SpeakingState
from nextcord.errors import ConnectionClosed
from nextcord.gateway import DiscordVoiceWebSocket
from nextcord.utils import MISSING
from nextcord.voice_client import E2EEState, VoiceClient, has_dave

from shared.errors import VoiceError
from shared.models import VoiceCredentials
from worker.audio.frames import SILENCE_FRAME
from worker.voice.connection import (
    RequestVoiceState,
    StateListener,
    VoiceClosedError,
    VoiceConnection,
    VoiceTimings,
    new_request_id,
)
from worker.voice.rtp import RTP_MODE, RtpSender, check_native
from worker.voice.session import VoiceSession

_log: Final = logging.getLogger(__name__)
_NEW_GROUP_EPOCH: Final = 1
_SECRET_FIELDS: Final = frozenset({"token", "secret_key"})
_LOST: Final = -1
"""Close code reported when the websocket dropped without a close frame or went silent for 30 s."""

# ---- start-up checks (docs/voice-protocol.md §5) ----------------------------------------------------------------


def check_voice_support(opus_library: str) -> None:
    """Fail fast at worker start: DAVE through dave-py, DAVE protocol v1, the voice sender's C calls, libopus.

    Also keeps voice secrets out of nextcord's debug log (see :class:`RedactVoiceSecrets`).
    """
    gateway_log = logging.getLogger("nextcord.gateway")
    if not any(isinstance(f, RedactVoiceSecrets) for f in gateway_log.filters):
        gateway_log.addFilter(RedactVoiceSecrets())
    if not has_dave:
        raise VoiceError(
            "nextcord cannot import dave (dave-py): it would identify without DAVE and Discord closes with 4017; "
            "install nextcord[voice]==3.2.0"
        )
    version = dave.get_max_supported_protocol_version()
    if version < 1:
        raise VoiceError(f"dave-py supports DAVE protocol version {version}; Discord requires version 1")
    try:
        check_native()
    except (OSError, AttributeError) as exc:
        raise VoiceError(f"cannot bind libsodium's AEAD or libc's sendto for the voice sender: {exc}") from exc
    if opus.is_loaded():
        return
    try:
        opus.load_opus(opus_library)
    except OSError as exc:
        raise VoiceError(f"cannot load libopus from {opus_library!r} (install libopus0): {exc}") from exc


class RedactVoiceSecrets(logging.Filter):
    """nextcord logs whole voice frames at DEBUG (gateway.py:845 sent, :950 received): IDENTIFY and RESUME carry the
    voice token, SESSION_DESCRIPTION the transport key. Replace those values before any handler sees them."""

    @override
    def filter(self, record: logging.LogRecord) -> bool:
        frame = record.args  # logging unpacks a lone dict argument into args itself
        if isinstance(frame, dict):
            data = frame.get("d")
            if isinstance(data, dict) and not _SECRET_FIELDS.isdisjoint(data):
                redacted = {key: "<redacted>" if key in _SECRET_FIELDS else value for key, value in data.items()}
                record.args = {**frame, "d": redacted}
        return True


def voice_ssl_context(ca_file: Path | None) -> ssl.SSLContext:
    """The system trust store, plus ``ca_file`` when set (the fake Discord's self-signed CA in tests)."""
    context = ssl.create_default_context()
    if ca_file is not None:
        context.load_verify_locations(cafile=str(ca_file))
    return context


# ---- stand-ins for the gateway nextcord expects (docs/voice-protocol.md §5) -------------------------------------


@dataclass(slots=True)
class _StubUser:
    id: int


@dataclass(slots=True)
class _StubHTTP:
    """``state.http``: only ``ws_connect`` is used (gateway.py:914-915), here over the worker's own session."""

    session: aiohttp.ClientSession
    ssl_context: ssl.SSLContext
    close_timeout_s: float

    async def ws_connect(self, url: str, *, compress: int = 0) -> aiohttp.ClientWebSocketResponse:
        # Same options as nextcord's HTTPClient.ws_connect (http.py:655-668), with the worker's TLS trust.
        return await self.session.ws_connect(
            url,
            compress=compress,
            ssl=self.ssl_context,
            max_msg_size=0,
            autoclose=False,
            timeout=aiohttp.ClientWSTimeout(ws_close=self.close_timeout_s),
        )


@dataclass(slots=True)
class _StubState:
    """``client._connection``: loop, user, http and the voice-client registry hook (voice_client.py:228)."""

    loop: asyncio.AbstractEventLoop
    user: _StubUser
    http: _StubHTTP

    def _remove_voice_client(self, guild_id: int) -> None:
        """Called by VoiceProtocol.cleanup; there is no registry to update."""


@dataclass(slots=True)
class _StubClient:
    _connection: _StubState


@dataclass(slots=True)
class _StubGuild:
    id: int
    request_voice_state: RequestVoiceState
    _channels: dict[int, _StubChannel] = field(default_factory=dict)

    async def change_voice_state(self, *, channel: _StubChannel | None, **_: object) -> None:
        """nextcord's voice_connect/voice_disconnect/move_to land here; the gateway does the real op 4.

        The session never calls those; should nextcord, the request gets an id of its own, so whatever answers it
        cannot drive the session (which acts only on answers to its own requests).
        """
        await self.request_voice_state(channel.id if channel is not None else None, new_request_id())

    def get_channel(self, channel_id: int) -> _StubChannel:
        return self._channels.setdefault(channel_id, _StubChannel(channel_id, self))


@dataclass(slots=True)
class _StubChannel:
    id: int
    """Also the DAVE MLS group id (voice_client.py:817)."""
    guild: _StubGuild

    def _get_voice_client_key(self) -> tuple[int, str]:
        return self.guild.id, "guild_id"


# ---- the voice websocket with three of the four fixes -------------------------------------------------------------


class WorkerVoiceWebSocket(DiscordVoiceWebSocket):
    """nextcord's voice websocket with bugs 1, 3 and 4 fixed and a RESUME that keeps ``seq_ack``.

    The bugs are described in docs/voice-protocol.md §6.
    """

    resumed: bool = False

    @override
    async def received_message(self, msg: dict[str, Any]) -> None:
        # Wraps DiscordVoiceWebSocket.received_message (gateway.py:949-992), which has bugs 1, 3 and 4.
        # Bug 3: RESUMED arrives as {"op": 9, "d": null}; gateway.py:953 calls d.get() and dies. Use {}.
        if msg.get("d") is None:
            msg = {**msg, "d": {}}
        # Bug 4: voice gateway v8 numbers messages with a top-level "seq"; gateway.py:953 reads d["seq"] only,
        # so heartbeats and RESUME acknowledged a stale seq. Take the top-level one (again after the base ran).
        seq = msg.get("seq")
        if isinstance(seq, int):
            self.seq_ack = seq
        op = msg["op"]
        if op == self.RESUMED:
            self.resumed = True
        elif op == self.DAVE_PREPARE_EPOCH:
            await self._prepare_epoch(msg["d"])
        await super().received_message(msg)
        if isinstance(seq, int):
            self.seq_ack = seq

    async def _prepare_epoch(self, data: dict[str, Any]) -> None:
        # Bug 1: op 24 is declared (gateway.py:810) but received_message never dispatches it, so after a
        # sole-member reset the bot kept its stale MLS group and nobody could decrypt it again (nextcord#1294).
        state = self._connection.e2ee_state
        if state is None:
            return
        epoch = int(data["epoch"])
        version = int(data.get("protocol_version", 1))
        if epoch == _NEW_GROUP_EPOCH and state._encryptor is None:
            await state.initialise(version)  # an upgrade from transport-only: also builds the encryptor
        else:
            await state.prepare_epoch(epoch, version)

    @classmethod
    async def resume_from(cls, old: DiscordVoiceWebSocket) -> Self:
        """A new socket to the same server that sends RESUME with the old one's ``seq_ack`` (bug 2, part 1).

        nextcord 3.2.0 resumes on the socket that has just closed (voice_client.py:457-467); ``from_client(
        resume=True)`` cannot be used either, because it sends RESUME before ``seq_ack`` could be carried over.
        """
        client: VoiceClient = old._connection
        raw = await client._state.http.ws_connect(old.gateway, compress=15)
        ws = cls(raw, loop=client.loop)
        ws.gateway = old.gateway
        ws._connection = client
        ws._max_heartbeat_timeout = old._max_heartbeat_timeout
        ws.thread_id = threading.get_ident()
        ws.seq_ack = old.seq_ack
        ws.secret_key = old.secret_key
        try:
            await ws.resume()
        except BaseException:
            await raw.close()
            raise
        return ws


# ---- the voice client ------------------------------------------------------------------------------------------------


class WorkerVoiceClient(VoiceClient):
    """A VoiceClient fed with forwarded credentials instead of gateway events, and that uses the fixed websocket."""

    def __init__(self, state: _StubState, guild: _StubGuild) -> None:
        super().__init__(_StubClient(state), guild.get_channel(0))  # type: ignore[arg-type]
        self._stub_state = state
        self._stub_guild = guild
        self._rtp = RtpSender()

    def use_credentials(self, credentials: VoiceCredentials) -> None:
        # Replaces on_voice_state_update / on_voice_server_update (voice_client.py:275-321) for the worker: those
        # only work inside nextcord's own handshake and otherwise close the websocket with 4000 or send a leave.
        assert credentials.channel_id is not None
        assert credentials.endpoint
        assert credentials.token
        self._stub_state.user.id = credentials.user_id
        self.channel = self._stub_guild.get_channel(credentials.channel_id)  # type: ignore[assignment]
        self.session_id = credentials.session_id
        self.token = credentials.token
        self.server_id = credentials.guild_id
        self.endpoint = credentials.endpoint.removeprefix("wss://")
        self.endpoint_ip = MISSING
        self.close_socket()
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.setblocking(False)

    def close_socket(self) -> None:
        if self.socket:
            self.socket.close()
            self.socket = MISSING

    @override
    def send_audio_packet(self, data: bytes, *, encode: bool = True) -> None:
        # Replaces voice_client.py:665-675 (and the packet of 524-554) for Opus frames: the same packet, sealed and
        # sent by RtpSender without letting go of the GIL (worker/voice/rtp.py says why). Raises OSError when the
        # packet could not be sent, RuntimeError when DAVE refused to encrypt (as nextcord does).
        if encode or self.mode != RTP_MODE:  # a nextcord with other modes: its own (slower) send, still correct
            VoiceClient.send_audio_packet(self, data, encode=encode)
            return
        self.checked_add("sequence", 1, 65535)
        header = (self.sequence, self.timestamp, self.ssrc)
        sent = self._rtp.send(
            self.socket, (self.endpoint_ip, self.voice_port), self.secret_key, header, self._incr_nonce,
            self._media_frame(data),
        )  # fmt: skip
        self.checked_add("_incr_nonce", 1, 4294967295)
        self.checked_add("timestamp", opus.Encoder.SAMPLES_PER_FRAME, 4294967295)
        if not sent:
            raise OSError(self._rtp.last_errno, "voice packet not sent")

    def _media_frame(self, data: bytes) -> bytes:
        # DAVE-encrypts like voice_client.py:525-533, except the Opus silence frame F8 FF FE: it goes out as is, the
        # form every DAVE decryptor passes through (docs/voice-protocol.md §3), so receivers see a transmission end.
        e2ee = self.e2ee_state
        if data == SILENCE_FRAME or e2ee is None or not e2ee.can_encrypt():
            return data
        frame = e2ee.encrypt(data)
        if frame is None:
            raise RuntimeError("Failed to encrypt voice packet.")
        return frame

    @override
    async def connect_websocket(self) -> None:
        # Replaces voice_client.py:344-349: the first connection already uses the fixed websocket class, and each
        # new voice session starts from fresh DAVE state (recognised users, transitions) for the current bot user.
        self._connected.clear()
        self.e2ee_state = E2EEState(self) if has_dave else None
        self.ws = await WorkerVoiceWebSocket.from_client(self)
        while self.ws.secret_key is None:
            await self.ws.poll_event()
        self._connected.set()


# ---- the transport the session drives -------------------------------------------------------------------------------


class NextcordTransport:
    """A :class:`~worker.voice.transport.VoiceTransport` over :class:`WorkerVoiceClient`.

    ``run_until_closed`` plus the session's close-code policy replace ``VoiceClient.poll_voice_ws``
    (voice_client.py:432-483), which resumed on a dead socket (bug 2) and left and rejoined on every other code.
    """

    def __init__(self, client: WorkerVoiceClient, timings: VoiceTimings, guild_id: int) -> None:
        self._client = client
        self._timings = timings
        self._extra: Final = {"guild_id": guild_id}

    @property
    def seq_ack(self) -> int:
        ws = self._ws()
        return ws.seq_ack if ws is not None else -1

    def is_open(self) -> bool:
        return self._client.is_connected()

    async def open(self, credentials: VoiceCredentials) -> None:
        await self.close(_LOST)
        self._client.use_credentials(credentials)
        try:
            async with asyncio.timeout(self._timings.handshake_timeout_s):
                await self._client.connect_websocket()
        except ConnectionClosed as exc:
            await self.close(_LOST)
            raise VoiceClosedError(exc.code) from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            await self.close(_LOST)
            raise VoiceClosedError(_LOST, f"voice handshake failed: {type(exc).__name__}") from exc

    async def resume(self) -> bool:
        old = self._ws()
        if old is None:
            return False
        try:
            async with asyncio.timeout(self._timings.resume_timeout_s):
                ws = await WorkerVoiceWebSocket.resume_from(old)
                self._client.ws = ws
                while not ws.resumed:
                    await ws.poll_event()
        except (ConnectionClosed, TimeoutError, aiohttp.ClientError, OSError) as exc:
            _log.warning("voice resume failed: %s", type(exc).__name__, extra=self._extra)
            await self.close(_LOST)
            return False
        self._client._connected.set()
        return True

    async def run_until_closed(self) -> int:
        ws = self._client.ws
        try:
            while True:
                await ws.poll_event()
        except ConnectionClosed as exc:
            code = exc.code
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            _log.info("voice websocket lost: %s", type(exc).__name__, extra=self._extra)
            code = _LOST
        self._client._connected.clear()
        await self._close_ws(ws, 1000)
        return code

    async def close(self, code: int) -> None:
        self._client._connected.clear()
        ws = self._ws()
        if ws is not None:
            await self._close_ws(ws, code if code > 0 else 1000)

    async def release(self) -> None:
        await self.close(1000)
        self._client.close_socket()

    def send_opus(self, packet: bytes) -> bool:
        try:
            self._client.send_audio_packet(packet, encode=False)
        except (OSError, RuntimeError):  # RuntimeError: DAVE refused to encrypt (voice_client.py:529-531)
            return False
        except (AttributeError, TypeError):
            # The frame clock's thread sends; the loop may have just closed the socket (MISSING) since is_open().
            return False
        return True

    async def speak(self, on: bool) -> None:
        ws = self._ws()
        if ws is None:
            raise VoiceClosedError(_LOST, "no voice websocket")
        try:
            await ws.speak(SpeakingState.voice if on else SpeakingState.none)
        except (ConnectionError, aiohttp.ClientError) as exc:
            raise VoiceClosedError(_LOST, "speaking update failed") from exc

    def _ws(self) -> DiscordVoiceWebSocket | None:
        ws = self._client.ws
        return None if ws is MISSING else ws

    async def _close_ws(self, ws: DiscordVoiceWebSocket, code: int) -> None:
        """Close one websocket (this also stops its keepalive thread), never waiting longer than the timeout."""
        with contextlib.suppress(TimeoutError, aiohttp.ClientError, OSError):
            async with asyncio.timeout(self._timings.close_timeout_s):
                await ws.close(code)


# ---- the factory the composition root calls --------------------------------------------------------------------------


def build_voice_connection(
    *,
    http_session: aiohttp.ClientSession,
    ssl_context: ssl.SSLContext,
    guild_id: int,
    request_voice_state: RequestVoiceState,
    on_state: StateListener | None = None,
    timings: VoiceTimings | None = None,
) -> VoiceConnection:
    """Build one guild's voice connection; call it on the worker's event loop."""
    timings = timings or VoiceTimings()
    http = _StubHTTP(http_session, ssl_context, timings.close_timeout_s)
    state = _StubState(asyncio.get_running_loop(), _StubUser(0), http)
    client = WorkerVoiceClient(state, _StubGuild(guild_id, request_voice_state))
    transport = NextcordTransport(client, timings, guild_id)
    return VoiceSession(guild_id, transport, request_voice_state, on_state=on_state, timings=timings)


@dataclass(frozen=True, slots=True)
class NextcordVoiceFactory:
    """A :class:`~worker.voice.connection.VoiceConnectionFactory`: the worker-wide part of the voice set-up."""

    http_session: aiohttp.ClientSession
    ssl_context: ssl.SSLContext
    timings: VoiceTimings = field(default_factory=VoiceTimings)

    def __call__(
        self, *, guild_id: int, request_voice_state: RequestVoiceState, on_state: StateListener | None = None
    ) -> VoiceConnection:
        return build_voice_connection(
            http_session=self.http_session,
            ssl_context=self.ssl_context,
            guild_id=guild_id,
            request_voice_state=request_voice_state,
            on_state=on_state,
            timings=self.timings,
        )
