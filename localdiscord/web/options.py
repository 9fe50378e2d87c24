"""What a member typed into the page, typed as Discord's client types slash command options before sending them.

Discord's client never sends an interaction whose options do not fit the registered command: an unknown command,
a missing required option, a number that is not one, a value outside the declared choices or bounds is refused in
the client with a message. The page does the same (``OptionError`` carries that message); everything that fits is
delivered, and the bot's own validation answers the rest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from localdiscord.world.models import Channel, Guild, Member

type JSON = dict[str, Any]

SUBCOMMAND: Final = 1
GROUP: Final = 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, NUMBER = 3, 4, 5, 6, 7, 10
_SAFE_INTEGER: Final = 2**53
_TRUE: Final = ("true", "yes", "1", "on")
_FALSE: Final = ("false", "no", "0", "off")


class OptionError(ValueError):
    """What Discord's client says instead of sending the interaction."""


@dataclass(frozen=True, slots=True)
class TypedCommand:
    """A command ready for ``InteractionDriver.invoke``: option values as Python values, members and channels."""

    name: str
    options: dict[str, object]
    subcommand: str | None = None
    group: str | None = None


def _branch(options: list[JSON], name: str | None, kind: int, what: str) -> JSON | None:
    branches = [o for o in options if o.get("type") == kind]
    if not branches:
        if name is not None:
            raise OptionError(f"This command has no {what} {name!r}.")
        return None
    if name is None:
        names = ", ".join(str(b["name"]) for b in branches)
        raise OptionError(f"Choose a {what}: {names}.")
    for branch in branches:
        if branch["name"] == name:
            return branch
    raise OptionError(f"Unknown {what} {name!r}.")


def declared_leaves(command: JSON, subcommand: str | None, group: str | None) -> tuple[list[JSON], str | None]:
    """The leaf options of ``command [group] [subcommand]`` and the subcommand's name (None for a plain command)."""
    options: list[JSON] = list(command.get("options") or [])
    chosen_group = _branch(options, group, GROUP, "subcommand group")
    if chosen_group is not None:
        options = list(chosen_group.get("options") or [])
    chosen = _branch(options, subcommand, SUBCOMMAND, "subcommand")
    if chosen is None:
        return options, None
    return list(chosen.get("options") or []), str(chosen["name"])


def _number(text: str, kind: int, label: str) -> int | float:
    try:
        value: int | float = int(text) if kind == INTEGER else float(text)
    except ValueError:
        raise OptionError(f"{label}: enter a{'n integer' if kind == INTEGER else ' number'}.") from None
    if kind == NUMBER and value != value:  # NaN
        raise OptionError(f"{label}: enter a number.")
    if abs(value) > _SAFE_INTEGER:
        raise OptionError(f"{label}: the value is too large.")
    return value


def _bounded(declared: JSON, value: object, label: str) -> None:
    if isinstance(value, str):
        low, high = declared.get("min_length"), declared.get("max_length", 6000)
        if (low is not None and len(value) < low) or len(value) > high:
            raise OptionError(f"{label}: between {low or 0} and {high} characters.")
    elif isinstance(value, int | float) and not isinstance(value, bool):
        low, high = declared.get("min_value"), declared.get("max_value")
        if (low is not None and value < low) or (high is not None and value > high):
            raise OptionError(f"{label}: a value from {low} to {high}.")


def _member(guild: Guild, text: str, label: str) -> Member:
    wanted = text.strip().removeprefix("<@").removesuffix(">").lstrip("!@")
    for member in guild.members.values():
        if wanted in (str(member.user.id), member.user.username, member.nick):
            return member
    raise OptionError(f"{label}: no member {text!r} in this server.")


def _channel(guild: Guild, text: str, label: str) -> Channel:
    wanted = text.strip().removeprefix("<#").removesuffix(">").lstrip("#")
    for channel in guild.channels.values():
        if wanted in (str(channel.id), channel.name):
            return channel
    raise OptionError(f"{label}: no channel {text!r} in this server.")


def typed_value(declared: JSON, text: str, guild: Guild) -> object:
    """One option's typed value: what the client would send for ``text`` in an option declared as ``declared``."""
    kind, label = declared.get("type"), str(declared.get("name"))
    value: object
    if kind == STRING:
        value = text
    elif kind in (INTEGER, NUMBER):
        value = _number(text.strip(), kind, label)
    elif kind == BOOLEAN:
        if text.strip().lower() not in _TRUE + _FALSE:
            raise OptionError(f"{label}: true or false.")
        value = text.strip().lower() in _TRUE
    elif kind == USER:
        value = _member(guild, text, label)
    elif kind == CHANNEL:
        value = _channel(guild, text, label)
    else:
        raise OptionError(f"{label}: this page cannot send options of type {kind}.")
    choices = declared.get("choices")
    if choices and not any(c.get("value") == value or c.get("name") == text for c in choices):
        raise OptionError(f"{label}: choose one of {', '.join(str(c.get('name')) for c in choices)}.")
    if choices:
        value = next(c["value"] for c in choices if c.get("value") == value or c.get("name") == text)
    _bounded(declared, value, label)
    return value


def typed_command(
    command: JSON, raw: Mapping[str, str], guild: Guild, *, subcommand: str | None, group: str | None, partial: str = ""
) -> TypedCommand:
    """Type ``raw`` (option name → what was typed) against ``command``; ``partial`` names the option being typed
    for autocomplete (sent as typed so far, like Discord does, and not required to be complete)."""
    leaves, chosen = declared_leaves(command, subcommand, group)
    by_name = {str(o["name"]): o for o in leaves}
    unknown = [name for name in raw if name not in by_name]
    if unknown:
        raise OptionError(f"Unknown option {unknown[0]!r}; this command takes: {', '.join(by_name) or 'none'}.")
    missing = [o["name"] for o in leaves if o.get("required") and o["name"] not in raw and o["name"] != partial]
    if missing and not partial:
        raise OptionError(f"This option is required: {missing[0]}.")
    options: dict[str, object] = {}
    for name, text in raw.items():
        options[name] = text if name == partial else typed_value(by_name[name], text, guild)
    return TypedCommand(str(command["name"]), options, chosen, group if chosen else None)
