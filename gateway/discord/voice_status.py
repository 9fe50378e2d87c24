"""Sets a voice channel's status through Discord's REST API (the voice-status sink of `gateway.events.voice_status`).

`PUT /channels/{channel_id}/voice-status` with `{"status": "<text>"}` (empty clears it) is not in Discord's
documentation (discord-api-docs PR #6400 describes it; bots have used it since 2023) and nextcord 3.2 has no
helper for it, so the request goes through nextcord's own HTTP client: its bucket and global rate-limit handling
and its retries of 429 and 5xx apply as to every other call. Discord answers 204 and dispatches
VOICE_CHANNEL_STATUS_UPDATE, which nextcord does not know and ignores.

The bot needs SET_VOICE_CHANNEL_STATUS (1 << 48) in the channel and must be connected to it, unless it also has
Manage Channels there; otherwise Discord answers 403 (50013 "Missing Permissions", 50001 "Missing Access").
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

import aiohttp
import nextcord
from nextcord.http import Route

from gateway.events.voice_status import StatusOutcome

_log: Final = logging.getLogger(__name__)
REST_TIMEOUT_S: Final = 10.0


class DiscordVoiceStatus:
    def __init__(self, client: nextcord.Client) -> None:
        self._client = client

    async def set_status(self, channel_id: int, text: str) -> StatusOutcome:
        """Show `text` as the channel's status ("" clears it); REFUSED on 403, FAILED (logged) on other errors."""
        route = Route("PUT", "/channels/{channel_id}/voice-status", channel_id=channel_id)
        try:
            async with asyncio.timeout(REST_TIMEOUT_S):
                await self._client.http.request(route, json={"status": text})
        except nextcord.Forbidden:
            return StatusOutcome.REFUSED
        except (nextcord.HTTPException, aiohttp.ClientError, TimeoutError) as exc:
            _log.warning("could not set the status of voice channel %s: %s", channel_id, _describe(exc))
            return StatusOutcome.FAILED
        return StatusOutcome.SET


def _describe(exc: Exception) -> str:
    if isinstance(exc, nextcord.HTTPException):
        return f"HTTP {exc.status} (code {exc.code}): " + " ".join(exc.text.split())[:200]
    return type(exc).__name__ if isinstance(exc, TimeoutError) else f"{type(exc).__name__}: {exc}"
