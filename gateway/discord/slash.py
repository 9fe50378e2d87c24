"""Typed wrappers around nextcord's command decorators (its own are unannotated, which mypy --strict rejects)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Final

import nextcord
from nextcord.application_command import SlashApplicationCommand

Callback = Callable[..., Awaitable[None]]
GUILD_CONTEXT: Final = [nextcord.InteractionContextType.guild]


def slash(name: str, description: str) -> Callable[[Callback], SlashApplicationCommand]:
    """A guild-only slash command (guild ids come from the client's default_guild_ids)."""
    decorator: Callable[[Callback], SlashApplicationCommand] = nextcord.slash_command(
        name=name, description=description, contexts=GUILD_CONTEXT
    )
    return decorator


def autocomplete(command: SlashApplicationCommand, option: str) -> Callable[[Callback], Callback]:
    decorator: Callable[[Callback], Callback] = command.on_autocomplete(option)
    return decorator


def choices(*values: str) -> dict[str, Any]:
    return {value: value for value in values}
