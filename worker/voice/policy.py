"""What to do when the voice websocket closes: the close-code policy (docs/voice-protocol.md §2)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from shared.models import VoiceCredentials

NORMAL_CLOSURE: Final = 1000
UNRESPONSIVE: Final = 4000
"""nextcord's keepalive closes with 4000 when the server stops acknowledging heartbeats."""
SESSION_INVALID: Final = 4006
SESSION_TIMEOUT: Final = 4009
DISCONNECTED: Final = 4014
SERVER_CRASHED: Final = 4015
DAVE_REQUIRED: Final = 4017
RATE_LIMITED: Final = 4021
CALL_TERMINATED: Final = 4022

_FATAL: Final = frozenset({4001, 4002, 4012, 4016, DAVE_REQUIRED, 4020})
"""Client bugs or missing features: retrying cannot help, so fail loudly."""


class CloseAction(StrEnum):
    RESUME = "resume"
    """Open a new websocket to the same server and send RESUME (4015 and codes below 4000 but 1000)."""
    WAIT_FOR_CREDENTIALS = "wait_for_credentials"
    """Do not reconnect: the gateway will forward new credentials (moved) or none (kicked)."""
    REJOIN = "rejoin"
    """Ask the gateway for a fresh voice state, then identify with the new credentials."""
    STOP = "stop"
    FAIL = "fail"


def action_for_close(code: int) -> CloseAction:
    """The reaction to a close code; -1 stands for a dropped connection or a receive timeout.

    Everything not listed (4003-4006, 4009, 4011, unknown codes) means the session or its credentials are no longer
    accepted: ask for a fresh voice state.
    """
    if code == NORMAL_CLOSURE:
        return CloseAction.STOP
    if code in (SERVER_CRASHED, UNRESPONSIVE) or code < UNRESPONSIVE:
        return CloseAction.RESUME
    if code in (DISCONNECTED, CALL_TERMINATED, RATE_LIMITED):
        return CloseAction.WAIT_FOR_CREDENTIALS
    if code in _FATAL:
        return CloseAction.FAIL
    return CloseAction.REJOIN


def explain_failure(code: int) -> str:
    if code == DAVE_REQUIRED:
        return (
            "Discord closed the voice connection with 4017 (E2EE/DAVE required): this worker identified without "
            "DAVE support; install nextcord[voice]==3.2.0 with dave-py and check the start-up voice checks"
        )
    return f"voice websocket closed with {code}, which retrying cannot fix (a client bug or unsupported feature)"


def is_complete(credentials: VoiceCredentials) -> bool:
    """Enough to identify: a channel, a token and an endpoint (Discord sends endpoint None while it moves us)."""
    return credentials.channel_id is not None and bool(credentials.token) and bool(credentials.endpoint)


def same_session(a: VoiceCredentials | None, b: VoiceCredentials | None) -> bool:
    """Whether two credential sets name the same voice session (so no reconnect is needed)."""
    if a is None or b is None:
        return a is b
    return (a.channel_id, a.session_id, a.token, a.endpoint) == (b.channel_id, b.session_id, b.token, b.endpoint)
