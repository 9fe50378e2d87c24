"""`/lyrics`: the slash command's declaration, a thin adapter from nextcord options to `LyricsActions`."""

from __future__ import annotations

from typing import Final

import nextcord
from nextcord import SlashOption

from gateway.commands.lyrics import LyricsActions
from gateway.discord.interaction import Interaction, handle
from gateway.discord.slash import slash
from shared.lyrics import MAX_LYRICS_QUERY

MAX_PAGE: Final = 100
"""A song's lyrics are at most 30,000 characters: 17 pages."""


class LyricsCog(nextcord.ClientCog):
    def __init__(self, lyrics: LyricsActions) -> None:
        self._lyrics = lyrics

    @slash("lyrics", "Show the lyrics of the track playing, or of a song you name.")
    async def lyrics(
        self,
        interaction: Interaction,
        query: str | None = SlashOption(
            description="A song's title (and artist); empty: the track playing",
            required=False,
            max_length=MAX_LYRICS_QUERY,
        ),
        page: int | None = SlashOption(description="Page number", required=False, min_value=1, max_value=MAX_PAGE),
        live: bool | None = SlashOption(description="Follow the track playing, line by line", required=False),
    ) -> None:
        follow = bool(live)
        await handle(
            interaction, "lyrics", lambda invocation, out: self._lyrics.command(invocation, query, page, follow, out)
        )
