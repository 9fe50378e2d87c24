"""Composition root: builds the Redis clients, stores, nextcord client, commands and consumers, and runs them; and
the process's readiness, which it keeps up to date."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Final

from arq.connections import ArqRedis

from gateway.commands.admission import Gate
from gateway.commands.autoplay import AutoplayActions
from gateway.commands.control import ControlActions
from gateway.commands.equalizer import EqualizerActions
from gateway.commands.issuing import Issuer
from gateway.commands.lyrics import LyricsActions
from gateway.commands.lyrics_live import LiveLyrics
from gateway.commands.play import PlayActions, Suggestions
from gateway.commands.playlist_transfer import TransferActions
from gateway.commands.playlists import PlaylistActions
from gateway.commands.queue import QueueActions
from gateway.commands.settings import SettingsActions
from gateway.discord.client import EncoreClient, build_client, on_guild_available
from gateway.discord.components import ComponentRouter
from gateway.discord.equalizer_cog import EqualizerCog
from gateway.discord.listeners import ListenerWatch
from gateway.discord.localized import guild_locale, localize
from gateway.discord.lyrics_cog import LyricsCog
from gateway.discord.messages import DiscordMessages
from gateway.discord.playback_cog import PlaybackCog
from gateway.discord.playlist_cog import PlaylistCog
from gateway.discord.queue_cog import QueueCog
from gateway.discord.voice import DiscordVoiceControl
from gateway.discord.voice_status import DiscordVoiceStatus
from gateway.events.announcer import Announcer
from gateway.events.shards import ShardFilter
from gateway.events.voice_forwarder import VoiceForwarder
from gateway.events.voice_requests import Rejoiner, VoiceRequests
from gateway.events.voice_status import VoiceStatus
from gateway.stores.clients import Stores, Streams, command_client, stream_client
from gateway.stores.jobs import JobClient
from shared.clock import now_ms
from shared.keys import Keys
from shared.observability import GatewayMetrics
from shared.settings import Settings
from shared.tasks import TaskOwner

_log: Final = logging.getLogger(__name__)
CLOSE_TIMEOUT_S: Final = 10.0


@dataclass(slots=True)
class Health:
    """What the gateway knows about its own readiness: logged in to Discord and its consumers running. Updated by
    the app, read by the readiness probe. Mutable on purpose: one instance per process.

    When `health_port` is set, `gateway/__main__.py` serves it with `shared.observability.HealthServer`: `/readyz`
    answers 200 only while Redis answers PING and `Health.ready` is true. Liveness (`/healthz`) is the server's own
    event-loop monitor, not this object.
    """

    discord_ready: bool = False
    consumers_running: bool = False

    @property
    def ready(self) -> bool:
        return self.discord_ready and self.consumers_running


@dataclass(frozen=True, slots=True)
class Parts:
    client: EncoreClient
    listeners: ListenerWatch
    voice_requests: VoiceRequests
    rejoiner: Rejoiner
    announcer: Announcer
    voice_status: VoiceStatus


class GatewayApp:
    """One gateway process. `run` returns when `stop` is set or the Discord connection ends for good."""

    def __init__(self, settings: Settings, health: Health | None = None, metrics: GatewayMetrics | None = None) -> None:
        self._settings = settings
        self._health = health or Health()
        self._metrics = metrics or GatewayMetrics()
        self._background = TaskOwner()
        self._keys = Keys(settings.redis.key_prefix)
        self._redis: ArqRedis = command_client(settings.redis, self._keys)
        self._streams: ArqRedis = stream_client(settings.redis, self._keys)
        self._consumers_started = False

    def _assemble(self) -> Parts:
        """Each component gets the stores, settings and helpers it uses; the clock is wall-clock milliseconds."""
        gateway = self._settings.gateway
        providers = self._settings.search_providers
        stores = Stores.build(self._redis, self._keys, gateway, search_providers=providers)
        streams = Streams.build(self._streams, self._keys)
        jobs = JobClient(self._redis, self._keys)
        shards = ShardFilter.from_settings(gateway)
        gate = Gate(stores.rate, stores.settings, stores.players, stores.queue)
        issuer = Issuer(stores.commands, self._metrics)
        play = PlayActions(gateway, gate, issuer, jobs, stores.recent, stores.active, self._background)
        control = ControlActions(gate, issuer, stores.players, stores.votes)
        queue = QueueActions(gate, stores.queue, stores.players, now_ms)
        client = build_client(gateway, ComponentRouter(play, control, queue, stores.players), self._metrics)
        autoplay = AutoplayActions(gate, stores.settings, stores.queue)
        client.add_cog(PlaybackCog(play, control, Suggestions(stores.searches, stores.recent), autoplay))
        client.add_cog(QueueCog(queue, SettingsActions(gate, stores.settings, providers)))
        client.add_cog(EqualizerCog(EqualizerActions(gate, issuer)))
        live = LiveLyrics(stores.players, now_ms, self._background)
        client.add_cog(LyricsCog(LyricsActions(gateway, gate, jobs, live)))
        playlists = PlaylistActions(gateway, gate, stores.playlists, stores.queue, play, jobs, now_ms)
        transfer = TransferActions(gateway, playlists, stores.playlists, stores.queue, jobs)
        client.add_cog(PlaylistCog(playlists, transfer))
        localize(client.get_all_application_commands())
        forwarder = VoiceForwarder(stores.voice, stores.commands, lambda: client.user.id if client.user else 0, now_ms)
        voice = DiscordVoiceControl(client, forwarder)
        status = VoiceStatus(stores.settings, stores.players, DiscordVoiceStatus(client), self._background)
        requests = streams.voice_requests
        return Parts(
            client=client,
            listeners=ListenerWatch(stores.commands, shards),
            voice_requests=VoiceRequests(requests, stores.cursors, stores.leases, shards, now_ms, voice, status),
            rejoiner=Rejoiner(stores.active, stores.players, shards, voice),
            announcer=Announcer(
                stores, streams.events, shards, now_ms, DiscordMessages(client), status, guild_locale(client)
            ),
            voice_status=status,
        )

    async def run(self, stop: asyncio.Event) -> None:
        parts = self._assemble()
        client = parts.client

        async def on_ready() -> None:
            self._health.discord_ready = True
            await self._start_consumers(parts)

        def guild_available(guild_id: int) -> None:
            if self._consumers_started:
                self._background.spawn(parts.rejoiner.rejoin(guild_id), name=f"rejoin:{guild_id}")

        client.add_listener(on_ready, "on_ready")
        client.add_listener(parts.listeners.on_voice_state_update)
        on_guild_available(client, guild_available)
        token = self._settings.discord_token.get_secret_value()
        discord = asyncio.create_task(client.start(token), name="discord")
        stopping = asyncio.create_task(stop.wait(), name="stop")
        try:
            await asyncio.wait({discord, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            await self._close(client, discord)
        if discord.done() and not discord.cancelled() and (error := discord.exception()) is not None:
            raise error

    async def _start_consumers(self, parts: Parts) -> None:
        """Once per process, after the first READY (the guild cache is needed to act on requests).

        "gateway ready" is logged only once both consumers hold their stream cursors, so nothing published after
        that line is missed.
        """
        if self._consumers_started:
            return
        self._consumers_started = True
        voice_ready, events_ready = asyncio.Event(), asyncio.Event()
        self._background.spawn(parts.voice_requests.run(voice_ready), name="voice-requests")
        self._background.spawn(parts.announcer.run(events_ready), name="events")
        self._background.spawn(parts.announcer.run_ticker(), name="progress")
        await voice_ready.wait()
        await events_ready.wait()
        for guild in parts.client.guilds:
            self._background.spawn(parts.rejoiner.rejoin(guild.id), name=f"rejoin:{guild.id}")
        self._health.consumers_running = True
        _log.info("gateway ready: %d guilds", len(parts.client.guilds))

    async def _close(self, client: EncoreClient, discord: asyncio.Task[None]) -> None:
        self._health.consumers_running = False
        await self._background.aclose()
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                await client.close()
                if not discord.done():
                    await asyncio.wait({discord}, timeout=CLOSE_TIMEOUT_S)
        except TimeoutError:
            _log.warning("the Discord connection did not close in time")
        await self._redis.aclose(close_connection_pool=True)
        await self._streams.aclose(close_connection_pool=True)
        _log.info("gateway stopped")
