"""Slash commands for the queue, the history and the guild's settings."""

from __future__ import annotations

from typing import Final

import nextcord
from nextcord import SlashOption

from gateway.commands.parsing import MAX_PROVIDERS_TEXT, MAX_SPONSOR_TEXT, MAX_TIME_TEXT
from gateway.commands.queue import QueueActions
from gateway.commands.settings import Resettable, SettingsActions, SettingsChange
from gateway.discord.interaction import Interaction, handle
from gateway.discord.slash import choices, slash
from gateway.wording.formatting import AUTO_CHOICE, PAGE_SIZE
from gateway.wording.language import LANGUAGE_NAMES
from shared.models import AUTO_LANGUAGE, MAX_QUEUE_LIMIT

RESETTABLE: Final = choices(*(item.value for item in Resettable))
LANGUAGES: Final = {AUTO_CHOICE: AUTO_LANGUAGE} | {name: code for code, name in LANGUAGE_NAMES.items()}
MAX_PAGE: Final = MAX_QUEUE_LIMIT // PAGE_SIZE
_DJ_ROLE: Final = SlashOption(description="Role needed for destructive commands", required=False)
_ANNOUNCE_CHANNEL: Final = SlashOption(description="Where now-playing messages go", required=False)


class QueueCog(nextcord.ClientCog):
    def __init__(self, queue: QueueActions, settings: SettingsActions) -> None:
        self._queue = queue
        self._settings = settings

    @slash("queue", "Show the queue.")
    async def queue(
        self,
        interaction: Interaction,
        page: int | None = SlashOption(description="Page number", required=False, min_value=1, max_value=MAX_PAGE),
    ) -> None:
        await handle(interaction, "queue", lambda invocation, _: self._queue.show(invocation, page))

    @slash("nowplaying", "Show what is playing.")
    async def nowplaying(self, interaction: Interaction) -> None:
        await handle(interaction, "nowplaying", lambda invocation, _: self._queue.now_playing(invocation))

    @slash("history", "Show recently played tracks.")
    async def history(
        self,
        interaction: Interaction,
        page: int | None = SlashOption(description="Page number", required=False, min_value=1, max_value=MAX_PAGE),
    ) -> None:
        await handle(interaction, "history", lambda invocation, _: self._queue.history(invocation, page))

    @slash("shuffle", "Shuffle the queue.")
    async def shuffle(self, interaction: Interaction) -> None:
        await handle(interaction, "shuffle", lambda invocation, _: self._queue.shuffle(invocation))

    @slash("remove", "Remove a track from the queue.")
    async def remove(
        self,
        interaction: Interaction,
        position: int = SlashOption(description="Its position in /queue", min_value=1, max_value=MAX_QUEUE_LIMIT),
    ) -> None:
        await handle(interaction, "remove", lambda invocation, _: self._queue.remove(invocation, position))

    @slash("move", "Move a track to another position in the queue.")
    async def move(
        self,
        interaction: Interaction,
        from_: int = SlashOption(name="from", description="Its position now", min_value=1, max_value=MAX_QUEUE_LIMIT),
        to: int = SlashOption(description="Its new position", min_value=1, max_value=MAX_QUEUE_LIMIT),
    ) -> None:
        await handle(interaction, "move", lambda invocation, _: self._queue.move(invocation, from_, to))

    @slash("clear", "Remove every track from the queue (what is playing keeps playing).")
    async def clear(self, interaction: Interaction) -> None:
        await handle(interaction, "clear", lambda invocation, _: self._queue.clear(invocation))

    @slash("settings", "Server settings for encore.")
    async def settings(self, interaction: Interaction) -> None:
        """Parent of the settings subcommands (never invoked itself)."""

    @settings.subcommand(name="show", description="Show the current settings.")
    async def settings_show(self, interaction: Interaction) -> None:
        await handle(interaction, "settings show", lambda invocation, _: self._settings.show(invocation))

    @settings.subcommand(name="set", description="Change one or more settings.")
    async def settings_set(  # noqa: PLR0913 - one parameter per Discord option
        self,
        interaction: Interaction,
        dj_role: nextcord.Role | None = _DJ_ROLE,
        announce_channel: nextcord.TextChannel | None = _ANNOUNCE_CHANNEL,
        default_volume: int | None = SlashOption(description="0-200", required=False, min_value=0, max_value=200),
        max_queue_length: int | None = SlashOption(
            description="1-100000", required=False, min_value=1, max_value=MAX_QUEUE_LIMIT
        ),
        user_share: int | None = SlashOption(
            description="Largest share of the queue one member may fill, in %",
            required=False,
            min_value=1,
            max_value=100,
        ),
        idle_timeout: str | None = SlashOption(
            description="Leave after this long idle, e.g. 5m", required=False, max_length=MAX_TIME_TEXT
        ),
        always_on: bool | None = SlashOption(name="24_7", description="Never leave for idleness", required=False),
        search_fallback: bool | None = SlashOption(description="Replace broken links by a search", required=False),
        voice_status: bool | None = SlashOption(
            description="Show the current track as the voice channel's status", required=False
        ),
        vote_skip: int | None = SlashOption(
            description="Share of listeners whose votes skip a track, in % (0 = off)",
            required=False,
            min_value=0,
            max_value=100,
        ),
        sponsorblock: str | None = SlashOption(
            description="SponsorBlock categories skipped in YouTube videos, e.g. sponsor, intro (all, off)",
            required=False,
            max_length=MAX_SPONSOR_TEXT,
        ),
        search_providers: str | None = SlashOption(
            description="Where searches look, in order, e.g. soundcloud, youtube (default: the server's order)",
            required=False,
            max_length=MAX_PROVIDERS_TEXT,
        ),
        language: str | None = SlashOption(
            description="The language of now-playing messages and notices (auto: the server's)",
            required=False,
            choices=LANGUAGES,
        ),
    ) -> None:
        change = SettingsChange(
            dj_role_id=dj_role.id if dj_role is not None else None,
            announce_channel_id=announce_channel.id if announce_channel is not None else None,
            default_volume=default_volume,
            max_queue_length=max_queue_length,
            user_share_percent=user_share,
            idle_timeout=idle_timeout,
            always_on=always_on,
            search_fallback=search_fallback,
            voice_status=voice_status,
            vote_skip_percent=vote_skip,
            sponsorblock=sponsorblock,
            search_providers=search_providers,
            language=language,
        )
        await handle(interaction, "settings set", lambda invocation, _: self._settings.change(invocation, change))

    @settings.subcommand(name="reset", description="Reset a setting (or all of them) to the default.")
    async def settings_reset(
        self,
        interaction: Interaction,
        setting: str = SlashOption(description="What to reset", choices=RESETTABLE),
    ) -> None:
        what = Resettable(setting)  # one of the declared choices: checked at the edge

        await handle(interaction, "settings reset", lambda invocation, _: self._settings.reset(invocation, what))
