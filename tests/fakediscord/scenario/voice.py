"""Scenario API: voice connections, captured audio, waits, and fault injection."""

from __future__ import annotations

import time

from tests.fakediscord.fake_state import VoiceGrant
from tests.fakediscord.gateway.session import GatewaySession
from tests.fakediscord.scenario.interactions import InteractionApi
from tests.fakediscord.voice.call import Call
from tests.fakediscord.voice.capture import CaptureStats, ChannelAudio, HeardAudio
from tests.fakediscord.voice.connection import VoiceConnection
from tests.fakediscord.waiting import wait_until
from tests.fakediscord.world.models import Channel, Guild, Member


class VoiceApi(InteractionApi):
    @staticmethod
    def clock() -> float:
        """The clock of every timestamp in captures and logs (``time.monotonic()``)."""
        return time.monotonic()

    # voice sessions

    def voice_connection(self, guild: Guild) -> VoiceConnection | None:
        """The bot's live voice session in ``guild`` on any voice server."""
        for server in self.voice_servers:
            if (conn := server.active(self.bot_user_id, guild.id)) is not None:
                return conn
        return None

    async def wait_for_voice_connection(
        self,
        guild: Guild,
        *,
        timeout: float = 10.0,  # noqa: ASYNC109
        after: VoiceConnection | None = None,
        server: int | None = None,
    ) -> VoiceConnection:
        """Wait until the bot has a voice session with a secret key (optionally a newer one than ``after``)."""

        def probe() -> VoiceConnection | None:
            conn = self.voice_connection(guild)
            if conn is None or not conn.secret_key or (after is not None and conn.id <= after.id):
                return None
            return conn if server is None or conn.server == server else None

        return await wait_until(probe, timeout, f"a voice connection in guild {guild.name}")

    def call(self, channel: Channel, server: int | None = None) -> Call | None:
        servers = self.voice_servers if server is None else [self.voice_servers[server]]
        for voice in servers:
            if channel.id in voice.calls:
                return voice.calls[channel.id]
        return None

    # audio

    def channel_audio(self, channel: Channel) -> ChannelAudio:
        return self.audio.setdefault(channel.id, ChannelAudio(channel.id))

    def heard(self, channel: Channel, listener: Member | None = None, speaker: int | None = None) -> HeardAudio:
        """What ``listener`` (default: the first one) heard from ``speaker`` (default: the bot)."""
        audio = self.channel_audio(channel)
        speaker_id = speaker if speaker is not None else self.bot_user_id
        if listener is not None:
            return audio.heard_by(listener.user.id, speaker_id)
        for (_listener_id, spk), heard in audio.heard.items():
            if spk == speaker_id:
                return heard
        return HeardAudio(0, speaker_id)

    def stream_stats(
        self, channel: Channel, speaker: int | None = None, start: float | None = None, end: float | None = None
    ) -> CaptureStats:
        """Transport statistics of the RTP stream the voice server received from ``speaker`` (default: bot)."""
        stream = self.channel_audio(channel).stream(speaker if speaker is not None else self.bot_user_id)
        return stream.stats(start, end)

    async def caught_up(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until every datagram received so far has been handled (decrypted and decoded into captures).

        A loaded fake handles media behind its arrival; audio that arrived before now is in `heard` only after this.
        """
        marks = [(server.udp, server.udp.received) for server in self.voice_servers]
        await wait_until(lambda: all(udp.handled >= mark for udp, mark in marks), timeout, "the UDP backlog")

    async def wait_for_audio(
        self,
        channel: Channel,
        *,
        seconds: float,
        timeout: float = 10.0,  # noqa: ASYNC109
        listener: Member | None = None,
        since: float | None = None,
    ) -> HeardAudio:
        """Wait until the listener has heard ``seconds`` of decoded audio (arrived after ``since``)."""

        def probe() -> HeardAudio | None:
            heard = self.heard(channel, listener)
            return heard if heard.seconds(since) >= seconds else None

        return await wait_until(probe, timeout, f"{seconds:.1f}s of audio in #{channel.name}")

    # fault injection

    async def close_voice(self, guild: Guild, code: int) -> VoiceConnection:
        """Close the bot's voice websocket with ``code`` (4015 keeps the session resumable)."""
        conn = self.voice_connection(guild)
        if conn is None:
            raise LookupError(f"no voice connection in guild {guild.name}")
        await conn.close(code)
        return conn

    async def move_voice_endpoint(self, guild: Guild, server: int | None = None) -> VoiceGrant | None:
        """Move the guild to another voice server (a new one by default) and send VOICE_SERVER_UPDATE."""
        if server is None:
            current = self.router.guild_server.get(guild.id, 0)
            others = [s.index for s in self.voice_servers if s.index != current]
            server = others[0] if others else (await self.add_voice_server()).index
        return await self.router.move_endpoint(guild.id, server)

    def gateway_sessions(self) -> list[GatewaySession]:
        """Live gateway sessions, oldest first."""
        return self.hub.live_sessions()

    def _session(self, session: GatewaySession | None) -> GatewaySession:
        if session is not None:
            return session
        live = [s for s in self.hub.live_sessions() if s.conn is not None]
        if not live:
            raise LookupError("no connected gateway session")
        return live[-1]

    async def gateway_reconnect(self, session: GatewaySession | None = None) -> GatewaySession:
        """Send RECONNECT (op 7); the client should come back with RESUME."""
        target = self._session(session)
        await self.hub.send_reconnect(target)
        return target

    async def gateway_invalid_session(self, resumable: bool, session: GatewaySession | None = None) -> GatewaySession:
        """Send INVALID_SESSION (op 9); ``False`` kills the session (its voice ends after ``voice_grace``)."""
        target = self._session(session)
        await self.hub.send_invalid_session(target, resumable)
        return target

    async def gateway_close(self, code: int, session: GatewaySession | None = None) -> GatewaySession:
        """Close the gateway websocket with ``code``; the session stays resumable until it dies."""
        target = self._session(session)
        if target.conn is not None:
            await target.conn.close(code)
        return target

    async def end_gateway_session(self, session: GatewaySession | None = None) -> None:
        """Kill a gateway session now: no RESUME, and its voice sessions end with 4014."""
        await self.hub.kill(self._session(session) if session is None else session)

    async def wait_for_gateway(
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
