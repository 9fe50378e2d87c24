"""The guild voice connection as the rest of the worker sees it: no nextcord type crosses this module."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from shared.errors import VoiceError
from shared.models import VoiceCredentials

__all__ = [
    "RequestVoiceState",
    "StateListener",
    "VoiceClosedError",
    "VoiceConnection",
    "VoiceConnectionFactory",
    "VoiceEvent",
    "VoiceStats",
    "VoiceStatus",
    "VoiceTimings",
    "new_request_id",
]

type RequestVoiceState = Callable[[int | None, str], Awaitable[None]]
"""Ask the gateway for a voice state update (op 4): join or move to a channel id, or leave with None.

The second argument is the request's id (:func:`new_request_id`): the gateway tags the voice credentials it
forwards after carrying the request out with it (``VoiceCredentials.request_id``).
"""


def new_request_id() -> str:
    """A fresh voice-state request id: random, so no other request of any session or owner carries it."""
    return secrets.token_hex(8)


class VoiceStatus(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    NEEDS_REJOIN = "needs_rejoin"
    FAILED = "failed"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class VoiceEvent:
    """One status change of a guild's voice connection."""

    status: VoiceStatus
    close_code: int | None = None
    """The voice websocket close code that caused the change, when there was one."""
    detail: str = ""


type StateListener = Callable[[VoiceEvent], None]
"""Called on the event loop at every status change; must not block."""


@dataclass(slots=True)
class VoiceStats:
    """Counters for tests, health and bench (never reset while the connection object lives)."""

    frames_sent: int = 0
    frames_dropped: int = 0
    """Frames given to ``send_opus`` while not connected (or refused by the socket or DAVE)."""
    headers_dropped: int = 0
    """Ogg ``OpusHead``/``OpusTags`` packets that reached ``send_opus`` (the audio pipeline should drop them)."""
    silence_frames: int = 0
    ws_connections: int = 0
    """Voice websockets opened, new sessions and resumes together."""
    resumes: int = 0
    voice_state_requests: int = 0
    last_close_code: int | None = None


@dataclass(frozen=True, slots=True)
class VoiceTimings:
    """How long each step may take; production defaults, tests shorten them."""

    handshake_timeout_s: float = 10.0
    """Websocket open + READY + UDP discovery + SESSION_DESCRIPTION."""
    credentials_timeout_s: float = 10.0
    """After asking the gateway for a voice state: wait this long for credentials, then report NEEDS_REJOIN."""
    server_move_timeout_s: float = 10.0
    """After close 4014/4022: wait this long for new credentials (a move), then report NEEDS_REJOIN."""
    resume_timeout_s: float = 5.0
    close_timeout_s: float = 2.0
    speak_timeout_s: float = 2.0
    max_failures: int = 5
    """Consecutive failed attempts (handshakes, rejoins) before giving up with FAILED."""
    backoff_initial_s: float = 0.25
    """Wait before the second retry in a row, doubling after each further one (the first retry is immediate)."""
    backoff_max_s: float = 8.0
    stable_after_s: float = 10.0
    """A connection that stayed up this long resets the failure count."""


class VoiceClosedError(VoiceError):
    """The voice websocket closed (or could not be opened); ``code`` is the close code, -1 when there was none."""

    def __init__(self, code: int, message: str = "") -> None:
        super().__init__(message or f"voice websocket closed with code {code}")
        self.code = code


class VoiceConnection(Protocol):
    """One guild's voice connection (voice websocket v8 + UDP, DAVE), driven by the guild's owner.

    All methods must be called on the event loop that built the connection.
    """

    @property
    def guild_id(self) -> int: ...

    @property
    def channel_id(self) -> int | None:
        """The channel asked for, or the one Discord moved the bot to; None after leaving or a kick."""
        ...

    @property
    def stats(self) -> VoiceStats: ...

    def status(self) -> VoiceStatus: ...

    def is_connected(self) -> bool:
        """True while frames given to ``send_opus`` go out on the wire."""
        ...

    async def connect(self, channel_id: int) -> None:
        """Join (or move to) a voice channel: asks the gateway for a voice state and returns.

        The handshake finishes in the background once ``feed_credentials`` delivers fresh credentials; follow it
        with ``status()``, ``wait_connected()`` or the state listener.
        """
        ...

    async def feed_credentials(self, credentials: VoiceCredentials) -> None:
        """New credentials forwarded by the gateway: completes a handshake, follows a server move or a kick.

        Only credentials that follow the connection's own latest voice-state request count; any other (an earlier
        request's, an earlier owner's) is ignored.
        """
        ...

    async def wait_connected(self, timeout_s: float) -> bool:
        """Wait until connected; False on timeout or when the connection gave up (FAILED, NEEDS_REJOIN, CLOSED)."""
        ...

    def send_opus(self, packet: bytes) -> None:
        """Send one 20 ms Opus frame now (DAVE + transport encryption, UDP); never blocks, never raises.

        Frames given while not connected are dropped and counted. The caller paces the frames.
        """
        ...

    def set_speaking(self, on: bool) -> None:
        """Announce speaking on or off; off first sends five silence frames, 20 ms apart."""
        ...

    async def disconnect(self, *, leave: bool) -> None:
        """Close the voice connection; with ``leave`` also ask the gateway to leave the channel."""
        ...


class VoiceConnectionFactory(Protocol):
    """Builds the voice connection of one guild (the worker's composition root provides it)."""

    def __call__(
        self, *, guild_id: int, request_voice_state: RequestVoiceState, on_state: StateListener | None = None
    ) -> VoiceConnection: ...
