"""The edge's option checks, against the declarations encore's cogs really register (no Discord, no Redis)."""

from __future__ import annotations

from typing import Any, cast

import pytest

from gateway.commands.autoplay import AutoplayActions
from gateway.commands.control import ControlActions
from gateway.commands.equalizer import EqualizerActions
from gateway.commands.option_check import CommandSchemas
from gateway.commands.play import PlayActions, Suggestions
from gateway.commands.playlist_transfer import TransferActions
from gateway.commands.playlists import PlaylistActions
from gateway.commands.queue import QueueActions
from gateway.commands.settings import SettingsActions
from gateway.discord.equalizer_cog import EqualizerCog
from gateway.discord.playback_cog import PlaybackCog
from gateway.discord.playlist_cog import PlaylistCog
from gateway.discord.queue_cog import QueueCog
from shared.errors import InvalidInputError

ROLE = 11
TEXT = 21
VOICE = 22


class Guild:
    def has_role(self, role_id: int) -> bool:
        return role_id == ROLE

    def channel_type(self, channel_id: int) -> int | None:
        return {TEXT: 0, VOICE: 2}.get(channel_id)


@pytest.fixture(scope="module")
def schemas() -> CommandSchemas:
    """The cogs only keep their collaborators; their declarations do not need them."""
    none: Any = None
    cogs = [
        PlaybackCog(
            cast(PlayActions, none), cast(ControlActions, none), cast(Suggestions, none), cast(AutoplayActions, none)
        ),
        QueueCog(cast(QueueActions, none), cast(SettingsActions, none)),
        EqualizerCog(cast(EqualizerActions, none)),
        PlaylistCog(cast(PlaylistActions, none), cast(TransferActions, none)),
    ]
    return CommandSchemas(command.get_payload(None) for cog in cogs for command in cog.application_commands)


def data(name: str, options: object = None) -> dict[str, Any]:
    body: dict[str, Any] = {"id": "123", "name": name, "type": 1}
    if options is not None:
        body["options"] = options
    return body


def opt(name: str, kind: int, value: object, **extra: object) -> dict[str, Any]:
    return {"name": name, "type": kind, "value": value, **extra}


def eq_band(*options: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": "band", "type": 1, "options": list(options)}]


def settings_set(*options: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": "set", "type": 1, "options": list(options)}]


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("volume", [opt("level", 4, 0)]),
        ("volume", [opt("level", 4, 200)]),
        ("skip", None),
        ("skip", [opt("count", 4, 1000)]),
        ("play", [opt("query", 3, "x" * 500), opt("when", 3, "next")]),
        ("seek", [opt("position", 3, "-1:02:03.500")]),
        ("filter", [{"name": "clear", "type": 1}]),
        ("filter", [{"name": "set", "type": 1, "options": [opt("filters", 3, "nightcore")]}]),
        ("settings", settings_set(opt("dj_role", 8, str(ROLE)), opt("announce_channel", 7, str(TEXT)))),
        ("settings", settings_set(opt("24_7", 5, False), opt("user_share", 4, 100))),
        ("move", [opt("to", 4, 1), opt("from", 4, 100_000)]),
        ("eq", [{"name": "preset", "type": 1, "options": [opt("name", 3, "electronic")]}]),
        ("eq", eq_band(opt("band", 4, 25), opt("gain", 10, -12))),
        ("eq", eq_band(opt("band", 4, 16000), opt("gain", 10, 11.5))),
        ("eq", [{"name": "show", "type": 1}]),
    ],
)
def test_what_discord_sends_passes(schemas: CommandSchemas, name: str, options: object) -> None:
    schemas.check(data(name, options), Guild())


@pytest.mark.parametrize(
    ("name", "options", "expected"),
    [
        ("volume", [opt("level", 4, 201)], "`level` must be a whole number from 0 to 200."),
        ("volume", [opt("level", 4, 1.0)], "`level` must be a whole number from 0 to 200."),
        ("volume", [opt("level", 4, False)], "`level` must be a whole number from 0 to 200."),
        ("volume", [opt("level", 10, 5)], "`level` must be a whole number from 0 to 200."),
        ("volume", [{"name": "level", "type": 4}], "`level` must be a whole number from 0 to 200."),
        ("volume", None, "`level` is required."),
        ("queue", [opt("page", 4, 2**53)], "`page` must be a whole number from 1 to 10000."),
        ("play", [opt("query", 3, "x" * 501)], "`query` must be text of at most 500 characters."),
        ("play", [opt("query", 3, "a"), opt("when", 3, "NOW")], "`when` must be one of: end, next, now."),
        ("settings", settings_set(opt("dj_role", 8, "12")), "`dj_role` must be a role of this server."),
        ("settings", settings_set(opt("dj_role", 8, "1" * 21)), "`dj_role` must be a role of this server."),
        ("settings", settings_set(opt("dj_role", 8, "١١")), "`dj_role` must be a role of this server."),
        (
            "settings",
            settings_set(opt("announce_channel", 7, str(VOICE))),
            "`announce_channel` must be a text or announcement channel of this server.",
        ),
        ("settings", settings_set(opt("24_7", 5, "true")), "`24_7` must be true or false."),
        ("settings", [{"name": "set", "type": 2, "options": []}], "That subcommand does not exist."),
        ("settings", [{"name": "show", "type": 1}, {"name": "show", "type": 1}], "Pick one of:"),
        ("pause", [opt("x", 3, "y")], "an option it does not have"),
        ("volume", {"level": 5}, "malformed"),
        ("volume", [5], "malformed"),
        ("eq", [{"name": "preset", "type": 1, "options": [opt("name", 3, "metal")]}], "`name` must be one of: flat,"),
        ("eq", eq_band(opt("band", 4, 50), opt("gain", 10, 3)), "`band` must be one of: 25, 40, 63"),
        ("eq", eq_band(opt("band", 4, 63), opt("gain", 10, 12.5)), "`gain` must be a number from -12 to 12."),
        ("eq", eq_band(opt("band", 4, 63), opt("gain", 10, -13)), "`gain` must be a number from -12 to 12."),
        ("eq", eq_band(opt("band", 4, 63), opt("gain", 10, "3")), "`gain` must be a number"),
        ("eq", eq_band(opt("band", 4, 63.0), opt("gain", 10, 3)), "`band` must be one of"),
        ("eq", eq_band(opt("band", 4, 63)), "`gain` is required."),
    ],
)
def test_what_discord_would_not_send_is_refused(
    schemas: CommandSchemas, name: str, options: object, expected: str
) -> None:
    with pytest.raises(InvalidInputError) as raised:
        schemas.check(data(name, options), Guild())
    assert expected in raised.value.message


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"name": "nosuch", "id": "1", "type": 1},
        {"name": "play", "id": "x", "type": 1},
        data("play") | {"type": 3},
    ],
)
def test_unknown_commands_are_refused(schemas: CommandSchemas, body: object) -> None:
    with pytest.raises(InvalidInputError):
        schemas.check(body, Guild())


FILE_ID = "333333333333333333"
ATTACHED = {"id": FILE_ID, "filename": "a.json", "size": 10, "url": "https://cdn.discordapp.com/a", "proxy_url": "x"}


def playlist_import(value: object, attachment: object) -> dict[str, Any]:
    options = [{"name": "import", "type": 1, "options": [opt("file", 11, value)]}]
    return data("playlist", options) | {"resolved": {"attachments": {FILE_ID: attachment}}}


def test_an_attached_file_must_be_one_the_interaction_resolves(schemas: CommandSchemas) -> None:
    schemas.check(playlist_import(FILE_ID, ATTACHED), Guild())
    for value, attachment in (
        ("444444444444444444", ATTACHED),
        (int(FILE_ID), ATTACHED),
        (FILE_ID, ATTACHED | {"size": "10"}),
        (FILE_ID, ATTACHED | {"size": -1}),
        (FILE_ID, ATTACHED | {"url": None}),
        (FILE_ID, ATTACHED | {"id": "5"}),
        (FILE_ID, "a file"),
    ):
        with pytest.raises(InvalidInputError) as raised:
            schemas.check(playlist_import(value, attachment), Guild())
        assert raised.value.message == "`file` must be a file you attach.", (value, attachment)
    with pytest.raises(InvalidInputError):
        schemas.check(data("playlist", [{"name": "import", "type": 1, "options": [opt("file", 11, FILE_ID)]}]), Guild())


def test_autocomplete_accepts_partial_text_in_the_focused_option_only(schemas: CommandSchemas) -> None:
    typing = [opt("query", 3, "", focused=True)]
    schemas.check(data("play", typing), Guild(), autocomplete=True)
    with pytest.raises(InvalidInputError):
        schemas.check(data("play", [opt("query", 3, 5, focused=True)]), Guild(), autocomplete=True)
    with pytest.raises(InvalidInputError):
        schemas.check(data("play", [*typing, opt("when", 3, "later")]), Guild(), autocomplete=True)


def test_every_registered_option_has_a_bounded_range(schemas: CommandSchemas) -> None:
    """Integers carry a max or choices (so no message says "up to 2^53"), free text a max_length."""
    leaves: list[dict[str, Any]] = []
    for name in schemas.names:
        declaration = schemas.declaration(name)
        assert declaration is not None
        stack = list(declaration.get("options") or [])
        while stack:
            option = stack.pop()
            stack.extend(option.get("options") or [])
            leaves.append(option)
    for option in leaves:
        if option["type"] == 4:
            assert option.get("max_value") is not None or option.get("choices"), option["name"]
        if option["type"] == 3 and not option.get("choices"):
            assert option.get("max_length") is not None, option["name"]
