"""Checks a raw interaction's command and options against the declarations the bot registers with Discord.

Discord validates options before it sends an interaction, but the gateway trusts no payload: every option of
every command is checked here, before nextcord converts anything (nextcord would turn 1.5 into 1, `true` into 1,
a string into None, and raise on a list). The declarations are the command payloads nextcord registers, so the
checks cannot drift from what members see. The policy:

- the command is one the bot registered (by name, chat-input type), the subcommand one it declares;
- every option is declared, at most once, with the declared type; every required option is present;
- integers are JSON integers (not bools, not floats) within the declared range and Discord's ±(2^53 - 1);
  numbers are finite; strings are within the declared (or Discord's 6,000) length and among the choices;
  booleans are booleans; roles and channels are snowflakes the guild knows, channels of a declared type; users
  are snowflakes; attachments are snowflakes of a well-formed attachment object in the interaction's
  `resolved.attachments` (id, file name, size, URL);
- a failure is an InvalidInputError naming the option, worded for the member (its text is never the raw value).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any, Final, Protocol

from gateway.wording.language import command_word, mark, number, tr
from shared.errors import InvalidInputError

SUB_COMMAND: Final = 1
SUB_COMMAND_GROUP: Final = 2
STRING: Final = 3
INTEGER: Final = 4
BOOLEAN: Final = 5
USER: Final = 6
CHANNEL: Final = 7
ROLE: Final = 8
MENTIONABLE: Final = 9
NUMBER: Final = 10
ATTACHMENT: Final = 11
CHAT_INPUT: Final = 1
MAX_SAFE_INTEGER: Final = 2**53 - 1
"""Discord's documented integer option range is ±(2^53 - 1)."""
MAX_STRING: Final = 6000
MAX_SNOWFLAKE: Final = 2**64 - 1
_CHANNEL_WORDS: Final = {
    0: mark("text"),
    2: mark("voice"),
    4: mark("category"),
    5: mark("announcement"),
    13: mark("stage"),
    15: mark("forum"),
}

type JSON = Mapping[str, Any]


class GuildLookup(Protocol):
    """What the checks need to know about the guild the interaction comes from."""

    def has_role(self, role_id: int) -> bool: ...

    def channel_type(self, channel_id: int) -> int | None:
        """The channel's Discord type, None if the guild has no such channel."""
        ...


def _name(value: object) -> str:
    """An option or command name for a message, as the member's command picker shows it: declared names only, so
    never user text."""
    return command_word(str(value))


class CommandSchemas:
    """The declarations of every registered chat-input command, by name."""

    def __init__(self, declarations: Iterable[JSON]) -> None:
        self._commands = {str(d["name"]): d for d in declarations if d.get("type", CHAT_INPUT) == CHAT_INPUT}

    @property
    def names(self) -> list[str]:
        return sorted(self._commands)

    def declaration(self, name: str) -> JSON | None:
        return self._commands.get(name)

    def check(self, data: object, guild: GuildLookup, *, autocomplete: bool = False) -> None:
        """Raise InvalidInputError unless `data` (an interaction's `data`) invokes a declared command correctly.

        For autocomplete the focused option may hold any partial text (Discord sends what is typed so far).
        """
        if not isinstance(data, Mapping):
            raise InvalidInputError(tr("This interaction carries no command."))
        command_id, name = data.get("id"), data.get("name")
        declared = self._commands.get(name) if isinstance(name, str) else None
        if declared is None or data.get("type", CHAT_INPUT) != CHAT_INPUT or not _snowflake(command_id):
            raise InvalidInputError(tr("I don't know that command (any more); try again in a moment."))
        _check_level(declared, data.get("options"), _Where(guild, _attachment_ids(data)), autocomplete)


class _Where:
    """The guild, and the attachments the interaction carries."""

    def __init__(self, guild: GuildLookup, attachments: frozenset[str]) -> None:
        self.guild = guild
        self.attachments = attachments


def _attachment_ids(data: JSON) -> frozenset[str]:
    """Ids of the well-formed attachment objects in `data.resolved.attachments`."""
    resolved = data.get("resolved")
    found = resolved.get("attachments") if isinstance(resolved, Mapping) else None
    if not isinstance(found, Mapping):
        return frozenset()
    return frozenset(str(key) for key, value in found.items() if _attachment(key, value))


def _attachment(key: object, value: object) -> bool:
    if not isinstance(value, Mapping) or value.get("id") != key or not _snowflake(key):
        return False
    size = value.get("size")
    texts = (value.get("filename"), value.get("url"))
    return type(size) is int and size >= 0 and all(isinstance(text, str) and text for text in texts)


def _check_level(declared: JSON, given: object, guild: _Where, autocomplete: bool) -> None:
    """One level of options: either exactly one subcommand (group) or the leaf options."""
    options = _option_list(given)
    declared_options: list[JSON] = list(declared.get("options") or [])
    nested = [d for d in declared_options if d.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP)]
    if nested:
        if len(options) != 1:
            raise InvalidInputError(
                tr("Pick one of: {names}.", names=", ".join(f"`{_name(d['name'])}`" for d in nested))
            )
        chosen = options[0]
        match = next((d for d in nested if d["name"] == chosen.get("name")), None)
        if match is None or chosen.get("type") != match.get("type") or "value" in chosen:
            raise InvalidInputError(tr("That subcommand does not exist."))
        _check_level(match, chosen.get("options"), guild, autocomplete)
        return
    _check_leaves(declared_options, options, guild, autocomplete)


def _option_list(given: object) -> list[JSON]:
    if given is None:
        return []
    if not isinstance(given, list) or not all(isinstance(option, Mapping) for option in given):
        raise InvalidInputError(tr("The options of this command are malformed."))
    return given


def _check_leaves(declared: list[JSON], options: list[JSON], guild: _Where, autocomplete: bool) -> None:
    by_name = {str(d["name"]): d for d in declared}
    seen: set[str] = set()
    for option in options:
        name = option.get("name")
        spec = by_name.get(name) if isinstance(name, str) else None
        if spec is None or name in seen:
            raise InvalidInputError(tr("This command got an option it does not have; try again in a moment."))
        assert isinstance(name, str)
        seen.add(name)
        if option.get("type") != spec.get("type") or "value" not in option:
            raise InvalidInputError(_expected(spec))
        if autocomplete and option.get("focused") is True:
            _check_typing(spec, option["value"])
        else:
            check_value(spec, option["value"], guild.guild, guild.attachments)
    missing = [str(d["name"]) for d in declared if d.get("required") and str(d["name"]) not in seen]
    if missing and not autocomplete:
        raise InvalidInputError(tr("`{option}` is required.", option=_name(missing[0])))


def _check_typing(spec: JSON, value: object) -> None:
    if not isinstance(value, str) or len(value) > MAX_STRING:
        raise InvalidInputError(tr("`{option}` must be text.", option=_name(spec["name"])))


def check_value(spec: JSON, value: object, guild: GuildLookup, attachments: frozenset[str] = frozenset()) -> None:
    """One option value against its declaration (`attachments`: the ids the interaction resolves)."""
    kind = spec.get("type")
    valid = False
    if kind == STRING:
        valid = _valid_string(spec, value)
    elif kind == INTEGER:
        valid = type(value) is int and _in_range(spec, value) and _chosen(spec, value)
    elif kind == NUMBER:
        valid = (
            type(value) in (int, float) and math.isfinite(value) and _in_range(spec, value) and _chosen(spec, value)  # type: ignore[arg-type]
        )
    elif kind == BOOLEAN:
        valid = type(value) is bool
    elif kind == ROLE:
        valid = _snowflake(value) and guild.has_role(int(str(value)))
    elif kind == CHANNEL:
        valid = _snowflake(value) and _channel_allowed(spec, guild.channel_type(int(str(value))))
    elif kind in (USER, MENTIONABLE):
        valid = _snowflake(value)  # members are not cached (no members intent); nextcord resolves the id
    elif kind == ATTACHMENT:
        valid = isinstance(value, str) and value in attachments
    if not valid:
        raise InvalidInputError(_expected(spec))


def _valid_string(spec: JSON, value: object) -> bool:
    if not isinstance(value, str):
        return False
    if not int(spec.get("min_length") or 0) <= len(value) <= int(spec.get("max_length") or MAX_STRING):
        return False
    return _chosen(spec, value)


def _chosen(spec: JSON, value: object) -> bool:
    """Among the declared choices, if there are any (strings, integers and numbers can have them)."""
    choices = spec.get("choices")
    return not choices or value in {choice["value"] for choice in choices}


def _in_range(spec: JSON, value: float) -> bool:
    low, high = _bounds(spec)
    return low <= value <= high


def _bounds(spec: JSON) -> tuple[float, float]:
    low = spec.get("min_value")
    high = spec.get("max_value")
    return (-MAX_SAFE_INTEGER if low is None else low, MAX_SAFE_INTEGER if high is None else high)


def _plain(number: object) -> str:
    """`-12` for -12.0, `0.5` for 0.5, integers as they are (never in exponent notation)."""
    return str(int(number)) if isinstance(number, float) and number.is_integer() else str(number)


def _channel_allowed(spec: JSON, channel_type: int | None) -> bool:
    allowed = spec.get("channel_types")
    return channel_type is not None and (not allowed or channel_type in allowed)


def _snowflake(value: object) -> bool:
    """A snowflake as Discord sends it: a decimal string (an int is accepted too) within 64 bits."""
    if isinstance(value, bool):
        return False
    text = str(value) if isinstance(value, int) else value
    if not isinstance(text, str) or not 0 < len(text) <= 20 or not (text.isascii() and text.isdigit()):
        return False
    return 0 < int(text) <= MAX_SNOWFLAKE


_SIMPLE: Final = {
    BOOLEAN: mark("`{option}` must be true or false."),
    ROLE: mark("`{option}` must be a role of this server."),
    USER: mark("`{option}` must be a member of this server."),
    MENTIONABLE: mark("`{option}` must be a member or role of this server."),
    ATTACHMENT: mark("`{option}` must be a file you attach."),
}
_NOT_VALID: Final = mark("`{option}` is not valid.")


def _expected(spec: JSON) -> str:
    """What the option takes, as the member should read it: a sentence naming the option."""
    kind, option = spec.get("type"), _name(spec["name"])
    choices = spec.get("choices")
    if choices and kind in (STRING, INTEGER, NUMBER):
        listed = ", ".join(str(choice["value"]) for choice in choices)
        return tr("`{option}` must be one of: {choices}.", option=option, choices=listed)
    if kind == STRING:
        limit = number(int(spec.get("max_length") or MAX_STRING))
        return tr("`{option}` must be text of at most {limit} characters.", option=option, limit=limit)
    if kind in (INTEGER, NUMBER):
        low, high = (_plain(bound) for bound in _bounds(spec))
        if kind == INTEGER:
            return tr("`{option}` must be a whole number from {low} to {high}.", option=option, low=low, high=high)
        return tr("`{option}` must be a number from {low} to {high}.", option=option, low=low, high=high)
    if kind == CHANNEL:
        return _expected_channel(option, spec.get("channel_types") or [])
    return tr(_SIMPLE.get(kind, _NOT_VALID) if isinstance(kind, int) else _NOT_VALID, option=option)


def _expected_channel(option: str, types: list[int]) -> str:
    kinds = tr(" or ").join(tr(_CHANNEL_WORDS.get(kind, mark("other"))) for kind in types)
    if kinds:
        return tr("`{option}` must be a {kinds} channel of this server.", option=option, kinds=kinds)
    return tr("`{option}` must be a channel of this server.", option=option)
