"""The Redis key schema: every key encore uses is built here and nowhere else.

All keys of one guild carry the guild id as a Redis Cluster hash tag (`encore:{<gid>}:queue`), so per-guild Lua
scripts keep working on Redis Cluster.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from shared.playlists import OwnerKind, PlaylistOwner


@dataclass(frozen=True, slots=True)
class Keys:
    """Builds keys under one prefix (default "encore")."""

    prefix: str = "encore"

    def _guild(self, guild_id: int, name: str) -> str:
        return f"{self.prefix}:{{{guild_id}}}:{name}"

    def queue(self, guild_id: int) -> str:
        """LIST of QueueItem JSON: upcoming tracks."""
        return self._guild(guild_id, "queue")

    def history(self, guild_id: int) -> str:
        """LIST of QueueItem JSON, newest first, capped."""
        return self._guild(guild_id, "history")

    def shares(self, guild_id: int) -> str:
        """HASH requester id -> number of that member's items in the queue."""
        return self._guild(guild_id, "shares")

    def player(self, guild_id: int) -> str:
        """STRING: PlayerState JSON, written only through the fenced script."""
        return self._guild(guild_id, "player")

    def settings(self, guild_id: int) -> str:
        """STRING: GuildSettings JSON."""
        return self._guild(guild_id, "settings")

    def voice(self, guild_id: int) -> str:
        """STRING: VoiceCredentials JSON forwarded by the gateway."""
        return self._guild(guild_id, "voice")

    def commands(self, guild_id: int) -> str:
        """STREAM of commands from the gateway to the owner."""
        return self._guild(guild_id, "cmd")

    def lease(self, guild_id: int) -> str:
        """STRING "<owner>|<fence>" with a TTL: who plays this guild."""
        return self._guild(guild_id, "lease")

    def handed_off(self, guild_id: int) -> str:
        """STRING with a TTL: the guild's last owner released it on a graceful stop (read and deleted by the next
        acquisition, in the same script, so a takeover knows a handoff from a lost owner)."""
        return self._guild(guild_id, "handed-off")

    def fence(self, guild_id: int) -> str:
        """INTEGER incremented on every lease acquisition."""
        return self._guild(guild_id, "fence")

    def request(self, guild_id: int, request_id: str) -> str:
        """HASH of one playlist request: next chunk, counts, status."""
        return self._guild(guild_id, f"req:{request_id}")

    def staged(self, guild_id: int, request_id: str) -> str:
        """LIST of playlist entries waiting to be appended in chunks."""
        return self._guild(guild_id, f"req:{request_id}:staged")

    def rate(self, guild_id: int, user_id: int) -> str:
        """STRING counter with a TTL: a member's command rate window."""
        return self._guild(guild_id, f"rate:{user_id}")

    def now_playing_message(self, guild_id: int) -> str:
        """STRING: MessageRef JSON of the guild's now-playing message (gateway)."""
        return self._guild(guild_id, "npmsg")

    def progress_message(self, guild_id: int, request_id: str) -> str:
        """STRING with a TTL: MessageRef JSON of a playlist's progress notice (gateway)."""
        return self._guild(guild_id, f"plmsg:{request_id}")

    def recent(self, guild_id: int, user_id: int) -> str:
        """LIST with a TTL: a member's recent queries and picks (RecentEntry JSON), newest first (gateway)."""
        return self._guild(guild_id, f"recent:{user_id}")

    def choice(self, guild_id: int, user_id: int, digest: str) -> str:
        """STRING with a TTL: the full `/play` query behind a short autocomplete choice value (gateway)."""
        return self._guild(guild_id, f"choice:{user_id}:{digest}")

    def search(self, guild_id: int, search_id: str) -> str:
        """STRING with a TTL: SearchSession JSON, the results a `/search` offered (gateway)."""
        return self._guild(guild_id, f"search:{search_id}")

    def skip_votes(self, guild_id: int, item_uid: str) -> str:
        """SET with a TTL: the members who voted to skip one now-playing item (by its uid, so a new track starts
        with no votes), plus a marker once the vote passed (gateway)."""
        return self._guild(guild_id, f"skipvotes:{item_uid}")

    def playlists(self, owner: PlaylistOwner) -> str:
        """HASH playlist name (casefolded) -> PlaylistMeta JSON: an owner's saved playlists (gateway)."""
        return self._owner(owner, "playlists")

    def playlist_entries(self, owner: PlaylistOwner, playlist_id: str) -> str:
        """LIST of Track JSON: one saved playlist's entries, in order (gateway)."""
        return self._owner(owner, f"playlist:{playlist_id}")

    def _owner(self, owner: PlaylistOwner, name: str) -> str:
        """A guild's playlists are keys of the guild; a member's carry the member as their hash tag (they follow the
        member to every server), so each owner's index and lists share one Cluster slot."""
        if owner.kind is OwnerKind.GUILD:
            return self._guild(owner.id, name)
        return f"{self.prefix}:{{member:{owner.id}}}:{name}"

    def active_guilds(self) -> str:
        """ZSET guild id -> time it became active: guilds that need a player."""
        return f"{self.prefix}:guilds:active"

    def workers(self) -> str:
        """ZSET worker id -> heartbeat time (ms): live workers."""
        return f"{self.prefix}:workers"

    def worker_load(self, worker_id: str) -> str:
        """STRING: number of guilds a worker plays, with a TTL."""
        return f"{self.prefix}:worker:{worker_id}:load"

    def worker_peer(self, worker_id: str) -> str:
        """STRING with a TTL: "<host> <port> <incarnation>", where the worker's peer link listens (its peers connect
        to it and learn of its death from the connection's close: worker/ownership/peers.py)."""
        return f"{self.prefix}:worker:{worker_id}:peer"

    def worker_jobs(self, worker_id: str) -> str:
        """SET of the arq job ids a worker is running (so the jobs of a killed worker can be re-run at once)."""
        return f"{self.prefix}:worker:{worker_id}:jobs"

    def handoffs(self) -> str:
        """Pub/sub channel: guilds free to claim now (a worker released them, or they just became active); a hint for
        the workers to scan at once instead of on their next tick."""
        return f"{self.prefix}:handoffs"

    def voice_cursor(self, shard_key: str) -> str:
        """STRING: the last voice request handled by the gateway process serving `shard_key`."""
        return f"{self.prefix}:gateway:{shard_key}:voice-cursor"

    def events(self) -> str:
        """STREAM of worker -> gateway events."""
        return f"{self.prefix}:events"

    def voice_requests(self) -> str:
        """STREAM of worker -> gateway voice state requests."""
        return f"{self.prefix}:voice-requests"

    def resolved(self, url: str) -> str:
        """STRING with a TTL: CachedTracks JSON, what the resolver found at a URL."""
        return self._cache("meta", url)

    def stream(self, url: str) -> str:
        """STRING with a TTL: CachedStream JSON, a track's short-lived stream URL (or its substitute's)."""
        return self._cache("stream", url)

    def sponsor_segments(self, video_id: str) -> str:
        """STRING with a TTL: SponsorSegments JSON, a YouTube video's SponsorBlock skip segments (empty when it has
        none: negative answers are cached too)."""
        return self._cache("sponsor", video_id)

    def search_results(self, provider: str, size: int, query: str) -> str:
        """STRING with a TTL: CachedTracks JSON, the first `size` results of search provider `provider` (a name of
        `Settings.search_providers`) for `query`.

        Written by the worker's resolver, read by the gateway's `/play` autocomplete; case and runs of whitespace in
        the query do not change the key.
        """
        text = " ".join(query.split()).lower()
        return self._cache("search", f"{provider}|{size}|{text}")

    def provider_breaker(self, provider: str) -> str:
        """HASH (expires): search provider `provider`'s circuit breaker, shared by every worker (lua.BREAKER_*):
        `failures` blocks since `since` (ms), `open_until` (ms) while open, `probing` while one search tests it."""
        return f"{self.prefix}:provider:{provider}:breaker"

    def lyrics(self, lookup: str) -> str:
        """STRING with a TTL: LyricsResult JSON of one lyrics lookup (the worker's normalised title, artist and
        duration, or query); misses are kept for a shorter time than finds."""
        return self._cache("lyrics", lookup)

    def mirror_meta(self, service: str, kind: str, item_id: str) -> str:
        """STRING with a TTL: MirrorListing JSON, what a mirrored service said about one link (a track, an album,
        a playlist, an artist's top tracks), so a second `/play` of it asks the service nothing."""
        return self._cache("mirror", f"{service}|{kind}|{item_id}")

    def mirror_match(self, lookup: str) -> str:
        """STRING with a TTL: MatchVerdict JSON, the playable recording found for a mirrored track (by ISRC, or by
        its normalised title, artists and duration), or that none was close enough (kept shorter)."""
        return self._cache("match", lookup)

    def _cache(self, kind: str, text: str) -> str:
        digest = hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()
        return f"{self.prefix}:cache:{kind}:{digest}"

    def arq_queue(self) -> str:
        """The arq queue name for resolve jobs."""
        return f"{self.prefix}:resolve"

    def arq_health(self, worker_id: str) -> str:
        """STRING with a TTL: arq's health line of one worker's job loop (arq writes it every few seconds)."""
        return f"{self.arq_queue()}:health:{worker_id}"
