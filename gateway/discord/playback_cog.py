"""Slash commands that play and control music; each one is a thin adapter from nextcord options to an action."""

from __future__ import annotations

import logging
from typing import Final

import nextcord
from nextcord import SlashOption
from redis.exceptions import RedisError

from gateway.commands.autoplay import AutoplayActions
from gateway.commands.control import ControlActions
from gateway.commands.invocation import Invocation, Responder
from gateway.commands.parsing import MAX_TIME_TEXT, MAX_VOLUME
from gateway.commands.play import PlayActions, Suggestions
from gateway.discord.interaction import Interaction, handle
from gateway.discord.render import autocomplete as choices_payload
from gateway.discord.slash import autocomplete, choices, slash
from gateway.wording import autoplay as autoplay_words
from gateway.wording.reply import Reply
from shared.commands import MAX_SKIP

_log: Final = logging.getLogger(__name__)
WHEN: Final = choices("end", "next", "now")
LOOP_MODES: Final = choices("off", "track", "queue")
AUTOPLAY_MODES: Final = choices(*autoplay_words.MODES)


class PlaybackCog(nextcord.ClientCog):
    def __init__(
        self, play: PlayActions, control: ControlActions, suggestions: Suggestions, autoplay: AutoplayActions
    ) -> None:
        self._play = play
        self._control = control
        self._suggestions = suggestions
        self._autoplay = autoplay

    @slash("play", "Play a link or search words (YouTube, SoundCloud, playlists ...).")
    async def play(
        self,
        interaction: Interaction,
        query: str = SlashOption(description="A link or what to search for", max_length=500, autocomplete=True),
        when: str | None = SlashOption(description="Where to queue it (default: end)", choices=WHEN, required=False),
    ) -> None:
        async def action(invocation: Invocation, out: Responder) -> Reply:
            return await self._play.play(invocation, query, when, out)

        await handle(interaction, "play", action)

    @autocomplete(play, "query")
    async def play_suggestions(self, interaction: Interaction, query: str) -> None:
        found: list[tuple[str, str]] = []
        if interaction.guild_id is not None and interaction.user is not None:
            try:
                found = await self._suggestions.choices(interaction.guild_id, interaction.user.id, query or "")
            except RedisError:
                _log.warning("autocomplete without suggestions: Redis unavailable")
        try:
            await interaction.response.send_autocomplete(choices_payload(found))
        except nextcord.HTTPException:
            _log.warning("could not answer an autocomplete", exc_info=True)

    @slash("search", "Search and pick one of the top results.")
    async def search(
        self,
        interaction: Interaction,
        query: str = SlashOption(description="What to search for", max_length=500),
        when: str | None = SlashOption(description="Where to queue the pick", choices=WHEN, required=False),
    ) -> None:
        async def action(invocation: Invocation, out: Responder) -> Reply:
            return await self._play.search(invocation, query, when, out)

        await handle(interaction, "search", action)

    @slash("skip", "Skip the current track, or several.")
    async def skip(
        self,
        interaction: Interaction,
        count: int | None = SlashOption(description="How many tracks", required=False, min_value=1, max_value=MAX_SKIP),
    ) -> None:
        await handle(interaction, "skip", lambda invocation, _: self._control.skip(invocation, count))

    @slash("previous", "Play the previous track again.")
    async def previous(self, interaction: Interaction) -> None:
        await handle(interaction, "previous", lambda invocation, _: self._control.previous(invocation))

    @slash("pause", "Pause playback.")
    async def pause(self, interaction: Interaction) -> None:
        await handle(interaction, "pause", lambda invocation, _: self._control.pause(invocation))

    @slash("resume", "Resume playback.")
    async def resume(self, interaction: Interaction) -> None:
        await handle(interaction, "resume", lambda invocation, _: self._control.resume(invocation))

    @slash("stop", "Stop playback and clear the queue.")
    async def stop(self, interaction: Interaction) -> None:
        await handle(interaction, "stop", lambda invocation, _: self._control.stop(invocation))

    @slash("leave", "Leave the voice channel (the queue is kept).")
    async def leave(self, interaction: Interaction) -> None:
        await handle(interaction, "leave", lambda invocation, _: self._control.leave(invocation))

    @slash("seek", "Jump to a position: 1:23, 83, +15 or -10.")
    async def seek(
        self,
        interaction: Interaction,
        position: str = SlashOption(description="1:23, 83 (seconds), +15 or -10", max_length=MAX_TIME_TEXT),
    ) -> None:
        await handle(interaction, "seek", lambda invocation, _: self._control.seek(invocation, position))

    @slash("volume", "Set the volume (100 is normal, up to 200).")
    async def volume(
        self,
        interaction: Interaction,
        level: int = SlashOption(description="0-200", min_value=0, max_value=MAX_VOLUME),
    ) -> None:
        await handle(interaction, "volume", lambda invocation, _: self._control.volume(invocation, level))

    @slash("loop", "Loop the track, the queue, or nothing.")
    async def loop(
        self,
        interaction: Interaction,
        mode: str = SlashOption(description="off, track or queue", choices=LOOP_MODES),
    ) -> None:
        await handle(interaction, "loop", lambda invocation, _: self._control.loop(invocation, mode))

    @slash("autoplay", "Keep playing related tracks when the queue runs out.")
    async def autoplay(
        self,
        interaction: Interaction,
        mode: str = SlashOption(description="on or off", choices=AUTOPLAY_MODES),
    ) -> None:
        await handle(interaction, "autoplay", lambda invocation, _: self._autoplay.switch(invocation, mode))

    @slash("filter", "Audio effects.")
    async def filter(self, interaction: Interaction) -> None:
        """Parent of the filter subcommands (never invoked itself)."""

    @filter.subcommand(name="set", description="Apply effects, e.g. nightcore, bassboost=12, speed=1.1")
    async def filter_set(
        self,
        interaction: Interaction,
        filters: str = SlashOption(description="Effects with optional values, separated by commas", max_length=200),
    ) -> None:
        await handle(interaction, "filter set", lambda invocation, _: self._control.set_filters(invocation, filters))

    @filter.subcommand(name="clear", description="Remove all effects.")
    async def filter_clear(self, interaction: Interaction) -> None:
        await handle(interaction, "filter clear", lambda invocation, _: self._control.clear_filters(invocation))

    @filter.subcommand(name="list", description="Show the active and the available effects.")
    async def filter_list(self, interaction: Interaction) -> None:
        await handle(interaction, "filter list", lambda invocation, _: self._control.list_filters(invocation))
