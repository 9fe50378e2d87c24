"""Frozen records of everything the fake saw, for assertions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

type JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One REST request: ``path`` is relative to ``/api/v10`` and has no query string."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    status: int
    started: float
    finished: float
    authorization: str | None

    @property
    def duration(self) -> float:
        return self.finished - self.started


@dataclass(frozen=True, slots=True)
class GatewayRecord:
    """One gateway frame: ``direction`` is ``"recv"`` (from the client) or ``"send"``."""

    session_id: str | None
    direction: str
    op: int
    t: str | None
    d: Any
    at: float


@dataclass(frozen=True, slots=True)
class VoiceRecord:
    """One voice gateway message; ``op`` is the opcode, ``d`` the JSON data or the binary payload."""

    server: int
    connection: int
    direction: str
    op: int
    d: Any
    seq: int | None
    at: float


@dataclass(frozen=True, slots=True)
class VoiceClose:
    """A voice websocket that ended: who closed it and with which code."""

    server: int
    connection: int
    code: int | None
    by_server: bool
    at: float
