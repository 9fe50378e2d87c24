"""The one Settings object, read from ENCORE_* environment variables once in each service's __main__."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RedisSettings(_Section):
    url: str | None = None
    """redis:// or unix:// URL; None means the run script starts an embedded redis-server with AOF."""
    key_prefix: str = Field(default="encore", pattern=r"^[A-Za-z0-9_.-]{1,32}$")
    data_dir: Path = Path("var/redis")
    """Where the embedded redis-server keeps its AOF."""
    socket_timeout_s: float = Field(default=5.0, gt=0, le=60)
    connect_timeout_s: float = Field(default=3.0, gt=0, le=60)


class GatewaySettings(_Section):
    discord_api_base: str = "https://discord.com/api/v10"
    """REST base URL; point at an HTTP proxy for Discord (or a fake Discord in tests)."""
    shard_count: int | None = Field(default=None, ge=1, le=10_000)
    shard_ids: Annotated[tuple[int, ...] | None, NoDecode] = None
    """Shards this process runs; None with a shard count runs all of them."""
    guild_ids: Annotated[tuple[int, ...], NoDecode] = ()
    """Register slash commands in these guilds only (fast updates while developing); empty means global."""
    rate_limit_commands: int = Field(default=8, ge=1, le=1000)
    rate_limit_window_s: float = Field(default=10.0, gt=0, le=3600)
    resolve_wait_s: float = Field(default=12.0, gt=0, le=120)
    """How long `/play` waits for a resolve job before answering "still working"."""
    health_port: int | None = Field(default=None, ge=0, le=65535)

    @field_validator("shard_ids", "guild_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(int(part) for part in value.replace(",", " ").strip("[] ").split())
        return value


_BASE_URL = r"^https?://[A-Za-z0-9.\[\]:-]+(/[A-Za-z0-9._~/-]*)?$"


class MirrorSettings(_Section):
    """Link mirroring (Spotify, Apple Music, Deezer): where each service's metadata is read, and how matches are
    judged. Every base URL is fetched through the URL guard (tests point them at loopback)."""

    spotify_client_id: SecretStr = SecretStr("")
    spotify_client_secret: SecretStr = SecretStr("")
    """Client credentials of a Spotify app: with both set, the Web API is used (whole playlists); without, the
    public embed page (the first 100 tracks of a playlist)."""
    spotify_api_url: str = Field(default="https://api.spotify.com", pattern=_BASE_URL)
    spotify_accounts_url: str = Field(default="https://accounts.spotify.com", pattern=_BASE_URL)
    spotify_embed_url: str = Field(default="https://open.spotify.com", pattern=_BASE_URL)
    spotify_market: str = Field(default="US", pattern=r"^[A-Z]{2}$")
    """The market of artists' top tracks and of region checks."""
    itunes_url: str = Field(default="https://itunes.apple.com", pattern=_BASE_URL)
    apple_music_url: str = Field(default="https://music.apple.com", pattern=_BASE_URL)
    deezer_api_url: str = Field(default="https://api.deezer.com", pattern=_BASE_URL)
    timeout_s: float = Field(default=8.0, gt=0, le=60)
    """One request to a service; a slow service is reported, never waited for longer."""
    retries: int = Field(default=2, ge=0, le=5)
    """Further attempts after a 5xx or a network error (0.5 s, then 1 s, … apart)."""
    max_retry_after_s: float = Field(default=5.0, ge=0, le=60)
    """A 429 whose Retry-After is at most this is waited out once; a longer one is reported to the member."""
    meta_cache_ttl_s: int = Field(default=6 * 3600, ge=0)
    match_cache_ttl_s: int = Field(default=24 * 3600, ge=0)
    miss_cache_ttl_s: int = Field(default=600, ge=0)
    threshold: float = Field(default=0.7, gt=0, lt=1)
    """The lowest score a search result needs to play for a mirrored track (an ISRC match always plays)."""
    search_size: int = Field(default=10, ge=1, le=50)


class WorkerSettings(_Section):
    worker_id: str = Field(default_factory=socket.gethostname, pattern=r"^[A-Za-z0-9_.:-]{1,64}$")
    lease_ms: int = Field(default=1500, ge=300, le=60_000)
    scan_interval_ms: int = Field(default=200, ge=20, le=10_000)
    checkpoint_interval_ms: int = Field(default=500, ge=100, le=5000)
    max_guilds: int = Field(default=500, ge=1, le=100_000)
    outage_grace_ms: int = Field(default=30_000, ge=0, le=600_000)
    """How long owners keep playing while Redis is down (their leases cannot be renewed meanwhile)."""
    voice_connect_timeout_s: float = Field(default=10.0, gt=0, le=120)
    """How long a player waits for its voice connection before it gives a track up."""
    settings_refresh_s: float = Field(default=5.0, gt=0, le=300)
    """How often a player re-reads its guild's settings."""
    idle_poll_s: float = Field(default=1.0, gt=0, le=60)
    prepare_ahead_ms: int = Field(default=6000, ge=0, le=60_000)
    """Open the next track this long before the current one ends, so it follows without a gap."""
    lease_doubt_s: float = Field(default=6.0, gt=0, le=300)
    """How long a player holds its audio for a lease renewed late before it gives the guild up."""
    max_crashes_per_item: int = Field(default=3, ge=1, le=100)
    """An item the player crashed on this many times is skipped (the supervisor restarts crashed players)."""
    rejoin_initial_s: float = Field(default=1.0, gt=0, le=600)
    rejoin_max_s: float = Field(default=30.0, gt=0, le=3600)
    """A voice connection that gave up is asked to rejoin after `rejoin_initial_s`, doubling up to this."""
    max_jobs: int = Field(default=10, ge=1, le=200)
    allowed_hosts: Annotated[tuple[str, ...], NoDecode] = ()
    """Hosts or IP networks that may resolve to loopback/private addresses (tests allow 127.0.0.1)."""
    first_chunk_size: int = Field(default=20, ge=1, le=500)
    chunk_size: int = Field(default=500, ge=10, le=5000)
    max_playlist_entries: int = Field(default=20_000, ge=1, le=100_000)
    resolve_cache_ttl_s: int = Field(default=6 * 3600, ge=0)
    search_cache_ttl_s: int = Field(default=3600, ge=0)
    ytdlp_threads: int = Field(default=4, ge=1, le=64)
    voice_ca_file: Path | None = None
    """Extra CA certificate trusted for the voice websocket (a fake Discord in tests)."""
    opus_library: str = "libopus.so.0"
    stream_timeout_s: float = Field(default=10.0, ge=0.5, le=120)
    """FFmpeg gives up on a stream that stalls (connect, read) this long; a track with no audio by then is skipped."""
    inprocess_passthrough: bool = True
    """Play WebM and Ogg Opus streams that need no decoding inside the worker (Range requests, no FFmpeg process);
    off: FFmpeg copies them as before."""
    pot_provider_url: str | None = Field(default=None, pattern=r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$")
    """Base URL of a YouTube PO-token provider (bgutil-ytdlp-pot-provider, compose profile "youtube")."""
    lrclib_url: str = Field(default="https://lrclib.net", pattern=r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?/?$")
    """Base URL of LRCLIB, where `/lyrics` looks lyrics up (through the URL guard, like every fetch)."""
    lyrics_cache_ttl_s: int = Field(default=7 * 86_400, ge=0)
    """How long found lyrics (and "instrumental") stay cached in Redis."""
    lyrics_miss_ttl_s: int = Field(default=900, ge=0)
    """How long "no lyrics found" stays cached (short: LRCLIB gains songs every day)."""
    health_port: int | None = Field(default=None, ge=0, le=65535)
    sponsorblock_url: str = Field(default="https://sponsor.ajay.app", pattern=r"^https?://[A-Za-z0-9.\[\]:-]+/?$")
    """Base URL of the SponsorBlock API (segments of YouTube videos to skip); fetched through the URL guard."""
    sponsorblock_ttl_s: int = Field(default=6 * 3600, ge=0, le=7 * 24 * 3600)
    """How long a video's segments (or that it has none) stay cached in Redis."""
    sponsorblock_timeout_s: float = Field(default=5.0, gt=0, le=60)
    autoplay_batch: int = Field(default=3, ge=1, le=10)
    """Tracks autoplay queues at a time; the next ones are found when the last of them starts."""
    mix_url: str = Field(
        default="https://www.youtube.com/watch?v={id}&list=RD{id}", pattern=r"^https?://[^\s]*\{id\}[^\s]*$"
    )
    """The radio mix of a video (`{id}`: its id), for autoplay after a track of `mix_extractors`."""
    mix_extractors: Annotated[tuple[str, ...], NoDecode] = ("youtube",)
    """Extractors (yt-dlp keys, any case) whose tracks have a radio mix at `mix_url`; the others autoplay by a
    search for their artists."""
    mirror: MirrorSettings = MirrorSettings()

    @field_validator("allowed_hosts", "mix_extractors", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part for part in value.replace(",", " ").split() if part)
        return value


class Settings(BaseSettings):
    """Everything configurable, from ENCORE_* variables (nested with "__", e.g. ENCORE_REDIS__URL)."""

    model_config = SettingsConfigDict(
        env_prefix="ENCORE_",
        env_nested_delimiter="__",
        env_ignore_empty=True,
        extra="forbid",
        frozen=True,
        env_file=None,
    )

    discord_token: SecretStr = SecretStr("")
    log_level: str = Field(default="INFO", pattern=r"^(DEBUG|INFO|WARNING|ERROR)$")
    log_json: bool = False
    search_prefix: str = Field(default="ytsearch", pattern=r"^[a-z][a-z0-9_]{0,31}$")
    """yt-dlp search key the worker uses for text queries and smart fallback (ytsearch in production); the gateway
    reads the searches the worker cached under it (`/play` autocomplete)."""
    redis: RedisSettings = RedisSettings()
    gateway: GatewaySettings = GatewaySettings()
    worker: WorkerSettings = WorkerSettings()

    @property
    def has_token(self) -> bool:
        return bool(self.discord_token.get_secret_value().strip())
