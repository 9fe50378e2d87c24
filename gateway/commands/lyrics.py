"""`/lyrics [query] [page] [live]`: the lyrics of the track now playing, or of a song the member names; with
`live`, one message that follows the track playing line by line (gateway/commands/lyrics_live.py).

The gateway does no lookup itself: a lyrics job on the worker asks LRCLIB (through the URL guard) and caches the
answer; the gateway waits for it like for a search and words what comes back. Reading lyrics needs what reading
the queue needs (Access.READ); the reply is public, a refusal reaches only the member who asked.
"""

from __future__ import annotations

import uuid

from gateway.commands.admission import Gate
from gateway.commands.invocation import Invocation, Responder
from gateway.commands.lyrics_live import LiveLyrics
from gateway.commands.parsing import parse_lyrics_query, parse_page
from gateway.commands.permissions import Access
from gateway.stores.jobs import Jobs
from gateway.wording import lyrics
from gateway.wording.language import mark, tr
from gateway.wording.reply import Reply
from shared.errors import InvalidInputError
from shared.lyrics import LyricsRequest, LyricsStatus
from shared.settings import GatewaySettings


class LyricsActions:
    def __init__(self, settings: GatewaySettings, gate: Gate, jobs: Jobs, live: LiveLyrics) -> None:
        self._settings = settings
        self._gate = gate
        self._jobs = jobs
        self._live = live

    async def command(
        self, invocation: Invocation, raw_query: str | None, raw_page: int | None, live: bool, out: Responder
    ) -> Reply:
        """`/lyrics` with its options: `live` follows the track playing and takes no query or page."""
        if not live:
            return await self.show(invocation, raw_query, raw_page, out)
        if raw_query is not None or raw_page is not None:
            raise InvalidInputError(tr(lyrics.QUERY_AND_LIVE))
        return await self.live(invocation, out)

    async def show(self, invocation: Invocation, raw_query: str | None, raw_page: int | None, out: Responder) -> Reply:
        query = parse_lyrics_query(raw_query)
        page_index = parse_page(raw_page)
        admission = await self._gate.admit(invocation, Access.READ, mark("Viewing lyrics"))
        if query is not None:
            request, what = LyricsRequest(query=query), lyrics.quoted(query)
        elif (item := admission.state.now_playing) is not None:
            track = item.track
            request = LyricsRequest(title=track.title, artist=track.artist, duration_ms=track.duration_ms)
            what = lyrics.subject(track.title, track.artist)
        else:
            raise InvalidInputError(tr(lyrics.NOTHING_PLAYING))
        await out.defer()
        result = await self._jobs.lyrics(request, uuid.uuid4().hex, self._settings.resolve_wait_s)
        if result is None:
            return Reply.error(tr(lyrics.TOO_SLOW))
        return lyrics.lyrics_reply(result, page_index, what)

    async def live(self, invocation: Invocation, out: Responder) -> Reply:
        """Follow the track playing through its synced lyrics (gateway/commands/lyrics_live.py)."""
        admission = await self._gate.admit(invocation, Access.READ, mark("Viewing lyrics"))
        item = admission.state.now_playing
        if item is None:
            raise InvalidInputError(tr(lyrics.NOTHING_PLAYING_LIVE))
        track = item.track
        await out.defer()
        request = LyricsRequest(title=track.title, artist=track.artist, duration_ms=track.duration_ms)
        result = await self._jobs.lyrics(request, uuid.uuid4().hex, self._settings.resolve_wait_s)
        if result is None:
            return Reply.error(tr(lyrics.TOO_SLOW))
        found = result.lyrics
        if result.status is not LyricsStatus.FOUND or found is None:
            return lyrics.lyrics_reply(result, 0, lyrics.subject(track.title, track.artist))
        if not found.synced:
            return Reply.error(tr(lyrics.NOT_SYNCED))
        shown = await self._live.first(invocation.guild_id, item.uid, found)
        if shown is None:
            return Reply.error(tr(lyrics.TRACK_CHANGED))
        self._live.follow(invocation.guild_id, item.uid, found, shown, out)
        return shown
