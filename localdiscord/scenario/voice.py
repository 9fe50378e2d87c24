"""Scenario API: the bot's voice sessions, the calls, what listeners heard and what arrived, voice faults."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from localdiscord.fake_state import Core, VoiceGrant
from localdiscord.voice.call import Call
from localdiscord.voice.capture import CaptureStats, ChannelAudio, HeardAudio
from localdiscord.voice.connection import VoiceConnection
from localdiscord.voice.router import VoiceRouter
from localdiscord.voice.server import VoiceServer
from localdiscord.waiting import wait_until
from localdiscord.world.models import Channel, Guild, Member


class VoiceControl:
    """``fake.voice``: watch the bot's voice sessions and audio on every voice server, and break them on purpose.

    ``speaker`` defaults to the bot; every timestamp is ``time.monotonic()`` (``FakeDiscord.clock``).
    """

    def __init__(
        self,
        core: Core,
        servers: list[VoiceServer],
        audio: dict[int, ChannelAudio],
        router: VoiceRouter,
        add_server: Callable[[], Awaitable[VoiceServer]],
    ) -> None:
        self.core = core
        self.servers = servers
        self.audio = audio
        self.router = router
        self._add_server = add_server

    @property
    def bot_user_id(self) -> int:
        return self.core.world.bot.id

    # voice sessions

    def voice_connection(self, guild: Guild) -> VoiceConnection | None:
        """The bot's live voice session in ``guild`` on any voice server."""
        for server in self.servers:
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
        servers = self.servers if server is None else [self.servers[server]]
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
        marks = [(server.udp, server.udp.received) for server in self.servers]
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
            others = [s.index for s in self.servers if s.index != current]
            server = others[0] if others else (await self._add_server()).index
        return await self.router.move_endpoint(guild.id, server)
