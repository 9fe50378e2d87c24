"""The catalogues' English source, read from the code, and their upkeep.

The source is every message the gateway marks (`tr`, `trn`, `mark` of `gateway.wording.language`, extracted with
Babel) plus every name, description and choice the cogs declare (`gateway.discord.localized.command_messages`).

After adding or changing words, bring every catalogue up to date (new messages get an empty translation, gone
ones are dropped) and translate the empty ones:

    PYTHONPATH=$PWD .venv/bin/python -m tests.gateway.catalogues

`tests/gateway/test_catalogues.py` fails until every catalogue translates every message with the same
placeholders.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from datetime import UTC, datetime
from pathlib import Path
from string import Formatter
from typing import Any, Final

import nextcord
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

import gateway.discord
from gateway.discord.localized import command_messages
from gateway.wording.language import CATALOGUES, DOMAIN, catalogue_path

GATEWAY: Final = Path(__file__).resolve().parents[2] / "gateway"
KEYWORDS: Final = {"tr": None, "trn": (1, 2), "mark": None}
SOURCE_DATE: Final = datetime(2026, 12, 1, tzinfo=UTC)
"""A fixed POT-Creation-Date: catalogues change only where messages do (no dates or line numbers to merge)."""


def cogs() -> list[Any]:
    """Every cog of the gateway's Discord edge (each `ClientCog` defined in `gateway/discord/`), a new one included;
    their declarations do not need their collaborators."""
    found: list[Any] = []
    for module_info in pkgutil.iter_modules(gateway.discord.__path__):
        module = importlib.import_module(f"gateway.discord.{module_info.name}")
        for _, cog in inspect.getmembers(module, inspect.isclass):
            if issubclass(cog, nextcord.ClientCog) and cog.__module__ == module.__name__:
                parameters = list(inspect.signature(cog.__init__).parameters)[1:]
                found.append(cog(*(None for _ in parameters)))
    return found


def commands() -> list[Any]:
    return [command for cog in cogs() for command in cog.application_commands]


def source() -> Catalog:
    """The English template: what every catalogue must translate."""
    template = Catalog(domain=DOMAIN, fuzzy=False, creation_date=SOURCE_DATE)
    found = extract_from_dir(str(GATEWAY), [("**.py", "python")], keywords=KEYWORDS, strip_comment_tags=True)
    for filename, lineno, message, _comments, context in found:
        template.add(message, locations=[(f"gateway/{filename}", lineno)], context=context)
    for message, context in sorted(command_messages(commands()), key=lambda pair: (pair[1] or "", pair[0])):
        template.add(message, locations=[("gateway/discord/*_cog.py", 0)], context=context)
    return template


def read(discord_locale: str) -> Catalog:
    with catalogue_path(discord_locale).open("rb") as source_file:
        return read_po(source_file, locale=CATALOGUES[discord_locale], domain=DOMAIN)


HEADER: Final = """\
# {language} replies of encore (the Discord music bot), for gettext.
# Source: the English messages of gateway/ (tests/gateway/catalogues.py); keep placeholders such as {{title}}."""


def write(discord_locale: str, catalog: Catalog) -> None:
    catalog.project, catalog.version = "encore", "0.1"
    catalog.copyright_holder, catalog.msgid_bugs_address = "encore contributors", ""
    catalog.header_comment = HEADER.format(language=catalog.locale.english_name if catalog.locale else discord_locale)
    catalog.last_translator, catalog.language_team = "encore contributors", ""
    path = catalogue_path(discord_locale)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as target:
        write_po(target, catalog, width=120, ignore_obsolete=True, include_lineno=False, sort_output=True)


def update() -> None:
    """Each catalogue gets the template's messages (translations kept, new ones empty, gone ones dropped)."""
    template = source()
    for discord_locale, code in CATALOGUES.items():
        path = catalogue_path(discord_locale)
        catalog = read(discord_locale) if path.exists() else Catalog(locale=code, domain=DOMAIN, fuzzy=False)
        catalog.update(template, no_fuzzy_matching=True)
        write(discord_locale, catalog)


if __name__ == "__main__":
    update()


def placeholders(text: str) -> set[str]:
    """The `{names}` of a str.format template (ValueError for unbalanced braces)."""
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


def _forms(message: Message) -> list[str]:
    if isinstance(message.string, tuple | list):
        return [str(form) for form in message.string]
    return [str(message.string or "")]


def _compare(expected: Message, found: Message, plurals: int) -> list[str]:
    """What is wrong with one translated message: empty or fuzzy, the number of plural forms, placeholders."""
    where = f"{expected.context + ': ' if expected.context else ''}{expected.id!r}"
    forms = _forms(found)
    if found.fuzzy or not all(forms):
        return [f"untranslated {where}"]
    english = expected.id if isinstance(expected.id, tuple | list) else (expected.id,)
    if len(english) > 1 and len(forms) != plurals:
        return [f"{where}: {len(forms)} plural forms, the language has {plurals}"]
    try:
        wanted = placeholders(str(english[-1]))
        wrong = [form for form in forms if placeholders(form) != wanted]
    except ValueError as exc:
        return [f"{where}: {exc}"]
    return [f"{where}: placeholders of {form!r} are not {sorted(wanted)}" for form in wrong]


def problems(template: Catalog, catalog: Catalog) -> list[str]:
    """Every message of the template a catalogue lacks or translates wrongly, and every message it has that the
    template does not (stale)."""
    found: list[str] = []
    for expected in template:
        if not expected.id:
            continue
        translated = catalog.get(expected.id, context=expected.context)
        if translated is None:
            found.append(f"missing {expected.context + ': ' if expected.context else ''}{expected.id!r}")
            continue
        found.extend(_compare(expected, translated, catalog.num_plurals))
    found.extend(
        f"stale {message.id!r}"
        for message in catalog
        if message.id and template.get(message.id, context=message.context) is None
    )
    return found
