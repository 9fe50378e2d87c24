"""Scenario API: the bot's gateway sessions and the gateway's faults (RECONNECT, INVALID_SESSION, closes, death)."""

from __future__ import annotations

from localdiscord.gateway.hub import GatewayHub
from localdiscord.gateway.session import GatewaySession
from localdiscord.waiting import wait_until


class GatewayControl:
    """``fake.gateway``: without ``session`` each fault hits the newest connected session."""

    def __init__(self, hub: GatewayHub) -> None:
        self.hub = hub

    def sessions(self) -> list[GatewaySession]:
        """Live gateway sessions, oldest first."""
        return self.hub.live_sessions()

    def _session(self, session: GatewaySession | None) -> GatewaySession:
        if session is not None:
            return session
        live = [s for s in self.hub.live_sessions() if s.conn is not None]
        if not live:
            raise LookupError("no connected gateway session")
        return live[-1]

    async def reconnect(self, session: GatewaySession | None = None) -> GatewaySession:
        """Send RECONNECT (op 7); the client should come back with RESUME."""
        target = self._session(session)
        await self.hub.send_reconnect(target)
        return target

    async def invalid_session(self, resumable: bool, session: GatewaySession | None = None) -> GatewaySession:
        """Send INVALID_SESSION (op 9); ``False`` kills the session (its voice ends after ``voice_grace``)."""
        target = self._session(session)
        await self.hub.send_invalid_session(target, resumable)
        return target

    async def close(self, code: int, session: GatewaySession | None = None) -> GatewaySession:
        """Close the gateway websocket with ``code``; the session stays resumable until it dies."""
        target = self._session(session)
        if target.conn is not None:
            await target.conn.close(code)
        return target

    async def end_session(self, session: GatewaySession | None = None) -> None:
        """Kill a gateway session now: no RESUME, and its voice sessions end with 4014."""
        await self.hub.kill(self._session(session) if session is None else session)

    async def wait_for_session(
        self,
        *,
        timeout: float = 10.0,  # noqa: ASYNC109
        newer_than: GatewaySession | None = None,
    ) -> GatewaySession:
        """Wait for a connected gateway session (one IDENTIFYed after ``newer_than``); returns the newest."""
        known = list(self.hub.sessions)
        skip = set(known[: known.index(newer_than.id) + 1]) if newer_than is not None else set()

        def probe() -> GatewaySession | None:
            live = [s for s in self.hub.live_sessions() if s.conn is not None and s.id not in skip]
            return live[-1] if live else None

        return await wait_until(probe, timeout, "a gateway session")
