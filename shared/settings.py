"""The one Settings object, read from ENCORE_* environment variables once in each service's __main__."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from shared.models import MAX_PROVIDERS, ProviderName
from shared.playlists import MAX_IMPORT_BYTES, MAX_SAVED_ENTRIES

PlayerClient = Annotated[str, Field(pattern=r"^-?[a-z0-9_]{1,32}$")]
"""A yt-dlp YouTube player client (`web`, `tv_samsung`), `default`, or one excluded (`-web`)."""


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
    playlists_per_owner: int = Field(default=25, ge=1, le=1000)
    """Saved playlists one member (personal ones) or one server may have."""
    playlist_entries: int = Field(default=500, ge=1, le=MAX_SAVED_ENTRIES)
    """Entries one saved playlist may hold (`/playlist save`, `add`, `import`)."""
    playlist_file_bytes: int = Field(default=1024 * 1024, ge=1024, le=MAX_IMPORT_BYTES)
    """The largest file `/playlist import` reads: Discord reports an attachment's size, nothing larger is
    downloaded, and the download stops there."""

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
    peer_link: bool = True
    """Keep a TCP link to every other worker, so that one whose process is gone is taken over at once instead of when
    its leases expire (worker/ownership/peers.py). A paused worker or a lost machine is still bounded by the lease."""
    peer_host: str = Field(default="127.0.0.1", pattern=r"^[A-Za-z0-9_.:-]{1,253}$")
    """Where the peer link listens; the other workers must reach it there (0.0.0.0 in containers)."""
    peer_port: int = Field(default=0, ge=0, le=65535)
    """0: any free port (the port bound is the one registered in Redis)."""
    peer_advertise: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.:-]{1,253}$")
    """The host the other workers connect to: by default `peer_host`, or this host's name when that is a wildcard."""
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
    job_poll_ms: int = Field(default=20, ge=5, le=1000)
    """How often the worker looks for new resolve jobs (arq polls; a `/play` waits half of this on average). Each
    poll is one cheap Redis read, so 50 a second per worker is a small price for a faster first sound."""
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
    clock_priority: int = Field(default=10, ge=0, le=99)
    """SCHED_RR priority the frame clock's thread asks for, so busy cores still run it every 20 ms (0: do not ask).
    Needs CAP_SYS_NICE (compose and the Kubernetes manifests add it); refused, the clock runs as a normal thread."""
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
    attachment_hosts: Annotated[tuple[str, ...], NoDecode] = ("cdn.discordapp.com", "media.discordapp.net")
    """Hosts `/playlist import` downloads attached files from (Discord's CDN); any other attachment URL is refused
    before a connection is made. The download also passes the URL guard (tests allow 127.0.0.1 for both)."""
    mirror: MirrorSettings = MirrorSettings()

    youtube_player_clients: Annotated[tuple[PlayerClient, ...], NoDecode] = Field(default=(), max_length=12)
    """yt-dlp's YouTube `player_client` extractor argument, e.g. `default,-tv_samsung`; empty: yt-dlp's own
    defaults (tv_samsung, visionos, web in yt-dlp 2026.10.26; web's streams need the PO token that
    `pot_provider_url`'s provider supplies). docs/operations.md explains the choice."""
    cookies_file: Path | None = None
    """A Netscape cookies file for YouTube (a mounted secret). yt-dlp reads a private copy (it rewrites its cookie
    file); neither the cookies nor the copy's path are logged. docs/operations.md says why this is a last resort."""
    ytdlp_auto_update: bool = False
    """At start, `pip install --upgrade yt-dlp` into a private directory and use it if that works (needs PyPI);
    off: the yt-dlp the image was built with."""
    breaker_threshold: int = Field(default=5, ge=1, le=1000)
    """Blocks (bot check, sign-in, PO token, 403, geo-block, rate limit) within `breaker_window_s` that open a
    provider's circuit breaker; shared by all workers through Redis."""
    breaker_window_s: float = Field(default=300.0, gt=0, le=24 * 3600)
    breaker_cooldown_s: float = Field(default=600.0, gt=0, le=24 * 3600)
    """How long an open breaker skips its provider before one search probes it again."""
    canary_url: str | None = Field(default=None, max_length=2048, pattern=r"^https?://\S+$")
    """A media URL the worker resolves to a stream every `canary_interval_s` (metrics `encore_canary_*`), so an
    operator sees a source (YouTube) breaking before members do; None: no canary."""
    canary_interval_s: float = Field(default=900.0, ge=10, le=24 * 3600)

    @field_validator("allowed_hosts", "mix_extractors", "attachment_hosts", "youtube_player_clients", mode="before")
    @classmethod
    def _split_hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part for part in value.replace(",", " ").split() if part)
        return value


class SandboxSettings(_Section):
    """`./scripts/run` without a token: encore against the local Discord, with a page in the browser."""

    host: str = "127.0.0.1"
    """Where the page listens; loopback unless the operator says otherwise."""
    port: int = Field(default=8765, ge=0, le=65535)
    """The page's port (0: any free port)."""
    data_dir: Path = Path("var/sandbox")
    """Generated demo tracks and the processes' logs."""
    library_dir: Path | None = None
    """A folder of the operator's own audio files, served on loopback next to the demo tracks."""
    workers: int = Field(default=2, ge=1, le=8)


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
    search_providers: Annotated[tuple[ProviderName, ...], NoDecode] = Field(
        default=("youtube", "youtubemusic", "soundcloud"), min_length=1, max_length=MAX_PROVIDERS
    )
    """The search provider chain, in order, for text queries, smart fallback and matching: youtube (ytsearch),
    youtubemusic (music.youtube.com's song search), soundcloud (scsearch), or any yt-dlp search key. A blocked
    provider is passed over for the next (worker/resolve/chain.py); guilds may reorder or narrow it in `/settings`.
    The gateway's `/play` autocomplete reads the searches the worker cached under these names."""
    redis: RedisSettings = RedisSettings()
    gateway: GatewaySettings = GatewaySettings()
    worker: WorkerSettings = WorkerSettings()
    sandbox: SandboxSettings = SandboxSettings()

    @field_validator("search_providers", mode="before")
    @classmethod
    def _split_providers(cls, value: object) -> object:
        if isinstance(value, str):
            value = tuple(part for part in value.replace(",", " ").lower().split() if part)
        if isinstance(value, tuple | list):
            if "bandcamp" in value:
                raise ValueError("yt-dlp has no Bandcamp search (Bandcamp links still play); remove bandcamp")
            if len(set(value)) != len(value):
                raise ValueError("a search provider is listed twice")
        return value

    @property
    def has_token(self) -> bool:
        return bool(self.discord_token.get_secret_value().strip())
