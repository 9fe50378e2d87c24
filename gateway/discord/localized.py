"""Discord's side of the member's language: the guild's locale for announcements, and the command picker's
localised names, descriptions and choices.

Commands are declared in English (the cogs); `localize` fills nextcord's `name_localizations`,
`description_localizations` and `choice_localizations` of every command, subcommand and option from the
catalogues before the commands are registered, so a new command or option is localised as soon as its catalogue
entries exist (`tests/gateway/test_catalogues.py` lists the missing ones). Names and option names are looked up
in the `command` context (`COMMAND_CONTEXT`), descriptions and choice names without one. Interactions still carry
the English names: Discord always sends a command's default name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import nextcord
from nextcord.application_command import SlashApplicationCommand, SlashApplicationSubcommand

from gateway.wording.language import COMMAND_CONTEXT, localizations

Command = SlashApplicationCommand | SlashApplicationSubcommand


def guild_locale(client: nextcord.Client) -> Callable[[int], str | None]:
    """The guild's preferred locale from the cache (None when the guild is not cached)."""

    def locale(guild_id: int) -> str | None:
        guild = client.get_guild(guild_id)
        return guild.preferred_locale if guild is not None else None

    return locale


def _walk(commands: Iterable[Any]) -> Iterator[Command]:
    for command in commands:
        if isinstance(command, SlashApplicationCommand | SlashApplicationSubcommand):
            yield command
            yield from _walk(command.children.values())


def _choice_names(option: Any) -> list[str]:
    choices = option.choices
    if not choices:
        return []
    return [str(name) for name in choices]


def localize(commands: Iterable[Any]) -> None:
    """Fill the localisations of every slash command, subcommand, option and choice from the catalogues."""
    for command in _walk(commands):
        command.name_localizations = localizations(str(command.name), context=COMMAND_CONTEXT) or None
        command.description_localizations = localizations(str(command.description)) or None
        for option in command.options.values():
            option.name_localizations = localizations(str(option.name), context=COMMAND_CONTEXT) or None
            option.description_localizations = localizations(str(option.description)) or None
            choices = {name: localizations(name) for name in _choice_names(option)}
            option.choice_localizations = {name: found for name, found in choices.items() if found} or None


def command_messages(commands: Iterable[Any]) -> set[tuple[str, str | None]]:
    """Every English string of the commands' declarations a catalogue translates, as (msgid, context)."""
    found: set[tuple[str, str | None]] = set()
    for command in _walk(commands):
        found |= {(str(command.name), COMMAND_CONTEXT), (str(command.description), None)}
        for option in command.options.values():
            found |= {(str(option.name), COMMAND_CONTEXT), (str(option.description), None)}
            found |= {(name, None) for name in _choice_names(option)}
    return found
