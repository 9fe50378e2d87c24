"""Redis keys owned by the gateway, under the same prefix and guild hash tags as `shared.keys.Keys`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class GatewayKeys:
    prefix: str = "encore"

    def _guild(self, guild_id: int, name: str) -> str:
        return f"{self.prefix}:{{{guild_id}}}:{name}"

    def now_playing_message(self, guild_id: int) -> str:
        """STRING: MessageRef JSON of the guild's now-playing message."""
        return self._guild(guild_id, "npmsg")

    def progress_message(self, guild_id: int, request_id: str) -> str:
        """STRING with a TTL: MessageRef JSON of a playlist's progress notice."""
        return self._guild(guild_id, f"plmsg:{request_id}")

    def recent(self, guild_id: int, user_id: int) -> str:
        """LIST with a TTL: a member's recent queries and picks (RecentEntry JSON), newest first."""
        return self._guild(guild_id, f"recent:{user_id}")

    def choice(self, guild_id: int, user_id: int, digest: str) -> str:
        """STRING with a TTL: the full `/play` query behind a short autocomplete choice value."""
        return self._guild(guild_id, f"choice:{user_id}:{digest}")

    def search(self, guild_id: int, search_id: str) -> str:
        """STRING with a TTL: SearchSession JSON, the results a `/search` offered."""
        return self._guild(guild_id, f"search:{search_id}")

    def voice_cursor(self, shard_key: str) -> str:
        """STRING: the last voice request handled by the gateway process serving `shard_key`."""
        return f"{self.prefix}:gateway:{shard_key}:voice-cursor"
