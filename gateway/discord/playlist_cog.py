"""`/playlist`: saved playlists' slash command; each subcommand is a thin adapter from nextcord options to
`PlaylistActions` (save … delete) or `TransferActions` (export, import)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Final

import nextcord
from nextcord import SlashOption
from pydantic import ValidationError
from redis.exceptions import RedisError

from gateway.commands.playlist_rules import Scope
from gateway.commands.playlist_transfer import TransferActions
from gateway.commands.playlists import PlaylistActions
from gateway.discord.interaction import Interaction, handle
from gateway.discord.render import autocomplete as choices_payload
from gateway.discord.slash import Callback, choices, slash
from gateway.wording import playlists as words
from gateway.wording.language import tr
from shared.errors import InvalidInputError
from shared.jobs import MAX_QUERY_LENGTH
from shared.playlists import MAX_PLAYLIST_NAME, MAX_SAVED_ENTRIES, AttachmentRef

_log: Final = logging.getLogger(__name__)
SCOPES: Final = choices(*(scope.value for scope in Scope))
WHEN: Final = choices("end", "next", "now")
MAX_PAGE: Final = MAX_SAVED_ENTRIES // words.PAGE_SIZE + 1
_FILE: Final = SlashOption(description="A file /playlist export made, or an M3U", required=False)


def _name(description: str = "The playlist's name", *, suggest: bool = True) -> Any:
    return SlashOption(description=description, min_length=1, max_length=MAX_PLAYLIST_NAME, autocomplete=suggest)


def _suggest(command: Any, option: str = "name") -> Callable[[Callback], Callback]:
    decorator: Callable[[Callback], Callback] = command.on_autocomplete(option)
    return decorator


def _scope() -> Any:
    return SlashOption(description=words.SCOPE_DESCRIPTION, required=False, choices=SCOPES)


def attachment_ref(file: nextcord.Attachment | None) -> AttachmentRef | None:
    """What the import job needs of an attached file (its URL, name and the size Discord reports)."""
    if file is None:
        return None
    try:
        return AttachmentRef(url=file.url, filename=file.filename, size=file.size)
    except ValidationError:
        raise InvalidInputError(tr(words.BAD_ATTACHMENT)) from None


class PlaylistCog(nextcord.ClientCog):
    def __init__(self, playlists: PlaylistActions, transfer: TransferActions) -> None:
        self._playlists = playlists
        self._transfer = transfer

    @slash("playlist", "Saved playlists: yours, and this server's.")
    async def playlist(self, interaction: Interaction) -> None:
        """Parent of the playlist subcommands (never invoked itself)."""

    @playlist.subcommand(name="save", description="Save what is playing and queued as a new playlist.")
    async def save(
        self, interaction: Interaction, name: str = _name(suggest=False), scope: str | None = _scope()
    ) -> None:
        await handle(interaction, "playlist save", lambda invocation, _: self._playlists.save(invocation, name, scope))

    @playlist.subcommand(name="load", description="Queue a saved playlist.")
    async def load(
        self,
        interaction: Interaction,
        name: str = _name(),
        scope: str | None = _scope(),
        when: str | None = SlashOption(description="Where in the queue (default: end)", required=False, choices=WHEN),
    ) -> None:
        await handle(
            interaction,
            "playlist load",
            lambda invocation, out: self._playlists.load(invocation, name, scope, when, out),
        )

    @playlist.subcommand(name="list", description="List saved playlists.")
    async def list_(self, interaction: Interaction, scope: str | None = _scope()) -> None:
        await handle(interaction, "playlist list", lambda invocation, _: self._playlists.listing(invocation, scope))

    @playlist.subcommand(name="show", description="Show a saved playlist's tracks.")
    async def show(
        self,
        interaction: Interaction,
        name: str = _name(),
        scope: str | None = _scope(),
        page: int | None = SlashOption(description="Page number", required=False, min_value=1, max_value=MAX_PAGE),
    ) -> None:
        await handle(
            interaction, "playlist show", lambda invocation, _: self._playlists.show(invocation, name, scope, page)
        )

    @playlist.subcommand(name="add", description="Add the track playing, or a link or search, to a playlist.")
    async def add(
        self,
        interaction: Interaction,
        name: str = _name(),
        query: str | None = SlashOption(
            description="A link (a playlist adds all its tracks) or search words; empty: the track playing",
            required=False,
            max_length=MAX_QUERY_LENGTH,
        ),
        scope: str | None = _scope(),
    ) -> None:
        await handle(
            interaction,
            "playlist add",
            lambda invocation, out: self._playlists.add(invocation, name, query, scope, out),
        )

    @playlist.subcommand(name="remove", description="Remove one track from a playlist.")
    async def remove(
        self,
        interaction: Interaction,
        name: str = _name(),
        position: int = SlashOption(
            description="Its number in /playlist show", min_value=1, max_value=MAX_SAVED_ENTRIES
        ),
        scope: str | None = _scope(),
    ) -> None:
        await handle(
            interaction,
            "playlist remove",
            lambda invocation, _: self._playlists.remove(invocation, name, position, scope),
        )

    @playlist.subcommand(name="rename", description="Rename a playlist.")
    async def rename(
        self,
        interaction: Interaction,
        name: str = _name(),
        new_name: str = _name("Its new name", suggest=False),
        scope: str | None = _scope(),
    ) -> None:
        await handle(
            interaction,
            "playlist rename",
            lambda invocation, _: self._playlists.rename(invocation, name, new_name, scope),
        )

    @playlist.subcommand(name="delete", description="Delete a playlist.")
    async def delete(self, interaction: Interaction, name: str = _name(), scope: str | None = _scope()) -> None:
        await handle(
            interaction, "playlist delete", lambda invocation, _: self._playlists.delete(invocation, name, scope)
        )

    @playlist.subcommand(name="export", description="A playlist, or the queue, as JSON and M3U files.")
    async def export(
        self,
        interaction: Interaction,
        name: str | None = SlashOption(
            description="The playlist; empty: what is playing and queued",
            required=False,
            min_length=1,
            max_length=MAX_PLAYLIST_NAME,
            autocomplete=True,
        ),
        scope: str | None = _scope(),
    ) -> None:
        await handle(
            interaction, "playlist export", lambda invocation, _: self._transfer.export(invocation, name, scope)
        )

    @playlist.subcommand(name="import", description="A new playlist from a file (JSON or M3U) or a playlist link.")
    async def import_(
        self,
        interaction: Interaction,
        file: nextcord.Attachment | None = _FILE,
        link: str | None = SlashOption(
            description="A playlist link (or any link or search)", required=False, max_length=MAX_QUERY_LENGTH
        ),
        name: str | None = SlashOption(
            description="Its name (default: the playlist's own)",
            required=False,
            min_length=1,
            max_length=MAX_PLAYLIST_NAME,
        ),
        scope: str | None = _scope(),
    ) -> None:
        await handle(
            interaction,
            "playlist import",
            lambda invocation, out: self._transfer.import_(invocation, name, attachment_ref(file), link, scope, out),
        )

    @_suggest(load)
    @_suggest(show)
    @_suggest(add)
    @_suggest(remove)
    @_suggest(rename)
    @_suggest(delete)
    @_suggest(export)
    async def name_suggestions(self, interaction: Interaction, name: str, scope: str | None = None) -> None:
        found: list[tuple[str, str]] = []
        if interaction.guild_id is not None and interaction.user is not None:
            try:
                found = await self._playlists.names(interaction.guild_id, interaction.user.id, scope, name or "")
            except RedisError:
                _log.warning("playlist autocomplete without suggestions: Redis unavailable")
        try:
            await interaction.response.send_autocomplete(choices_payload(found))
        except nextcord.HTTPException:
            _log.warning("could not answer an autocomplete", exc_info=True)
