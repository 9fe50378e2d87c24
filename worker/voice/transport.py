"""The seam between the voice session and the library that speaks Discord voice (the nextcord adapter)."""

from __future__ import annotations

from typing import Protocol

from shared.models import VoiceCredentials


class VoiceTransport(Protocol):
    """One voice server connection at a time (websocket + UDP); the nextcord adapter implements it."""

    def is_open(self) -> bool: ...

    async def open(self, credentials: VoiceCredentials) -> None:
        """Identify and finish the handshake (READY, UDP discovery, SESSION_DESCRIPTION); raises VoiceClosedError."""
        ...

    async def resume(self) -> bool:
        """Open a new websocket to the same server and RESUME the session; False if that did not work."""
        ...

    async def run_until_closed(self) -> int:
        """Handle server messages until the websocket closes; returns the close code (-1: dropped or silent)."""
        ...

    async def close(self, code: int) -> None: ...

    async def release(self) -> None:
        """Close the websocket and the UDP socket."""
        ...

    def send_opus(self, packet: bytes) -> bool:
        """Encrypt and send one Opus frame; False when it could not be sent."""
        ...

    async def speak(self, on: bool) -> None: ...
