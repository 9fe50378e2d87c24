"""The reply catalogues: every message of the code in every language, with the same placeholders; and the command
picker's localisations as Discord accepts them."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import Catalog

from gateway.discord.localized import localize
from gateway.wording.language import CATALOGUES, ENGLISH, catalogue_path, language, loaded_languages, speaking, tr, trn
from tests.gateway.catalogues import commands, problems, read, source

DISCORD_LOCALES = frozenset(
    [
        "id",
        "da",
        "de",
        "en-GB",
        "en-US",
        "es-ES",
        "es-419",
        "fr",
        "hr",
        "it",
        "lt",
        "hu",
        "nl",
        "no",
        "pl",
        "pt-BR",
        "ro",
        "fi",
        "sv-SE",
        "vi",
        "tr",
        "cs",
        "el",
        "bg",
        "ru",
        "uk",
        "hi",
        "th",
        "zh-CN",
        "ja",
        "zh-TW",
        "ko",
    ]
)
"""Discord's locales (developer docs, "Reference: Locales"); a localisation under any other key is refused."""
NAME = re.compile(r"^[-_\w]{1,32}$")
"""Discord's command and option name rule (`^[-_\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$`, lowercase where
the script has case); `\\w` is the same set here since names hold no combining marks."""


@pytest.fixture(scope="module")
def template() -> Catalog:
    return source()


@pytest.mark.parametrize("discord_locale", sorted(CATALOGUES))
def test_every_message_is_translated_with_the_same_placeholders(template: Catalog, discord_locale: str) -> None:
    found = problems(template, read(discord_locale))
    assert not found, f"{discord_locale}: {len(found)} problems (run `python -m tests.gateway.catalogues`):\n" + (
        "\n".join(found)
    )


def test_the_check_finds_a_missing_message_a_wrong_placeholder_and_an_untranslated_one(template: Catalog) -> None:
    catalog = read("de")
    catalog.delete("⏭ Skipped {track}.")
    catalog["🔊 Volume set to {volume}%."].string = "🔊 Lautstärke auf {lautstärke} % gesetzt."
    catalog["Not paused."].string = ""
    found = problems(template, catalog)
    assert "missing '⏭ Skipped {track}.'" in found
    assert any("🔊 Volume set to {volume}%." in problem and "placeholders" in problem for problem in found)
    assert "untranslated 'Not paused.'" in found
    assert len(found) == 3


def test_the_source_holds_replies_failure_words_and_command_declarations(template: Catalog) -> None:
    ids = {message.id for message in template}
    assert {"⏸ Paused.", "that host points to a private address", "Shuffle", "Show the queue."} <= ids
    assert template.get("play", context="command") is not None


def test_a_locale_is_read_by_language_and_falls_back_to_english() -> None:
    assert language("de").discord_locale == "de"
    assert language("es-419").discord_locale == "es-ES"
    assert language("pt-PT").discord_locale == "pt-BR"
    for unknown in ("ko", "en-GB", "", None, "xx-YY", 7, ["de"], "de" * 100):
        assert language(unknown).discord_locale == ENGLISH
    for index in range(1000):  # payload text is never a cache key
        language(f"de-{index}")
    assert loaded_languages() <= len(CATALOGUES) + 1
    with speaking("ko"):
        assert tr("Not paused.") == "Not paused."
    with speaking("de"):
        assert tr("Not paused.") == "Nicht pausiert."
        assert trn("🔀 Shuffled {count} track.", "🔀 Shuffled {count} tracks.", 1234) == "🔀 1.234 Titel gemischt."
    assert tr("Not paused.") == "Not paused."


def _walk(payload: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield payload
    for option in payload.get("options") or []:
        yield from _walk(option)


@pytest.fixture(scope="module")
def payloads() -> list[dict[str, Any]]:
    registered = commands()
    localize(registered)
    return [command.get_payload(None) for command in registered]


def test_every_command_option_and_choice_is_localised_in_every_language(payloads: list[dict[str, Any]]) -> None:
    wanted = set(CATALOGUES)
    for payload in payloads:
        for part in _walk(payload):
            assert wanted <= set(part["name_localizations"] or {}), part["name"]
            assert wanted <= set(part["description_localizations"] or {}), part["name"]
            for choice in part.get("choices") or []:
                assert wanted <= set(choice["name_localizations"] or {}), choice["name"]
    play = next(payload for payload in payloads if payload["name"] == "play")
    assert play["name_localizations"]["de"] == "abspielen"
    assert play["name_localizations"]["es-419"] == play["name_localizations"]["es-ES"]


def test_localisations_are_what_discord_accepts(payloads: list[dict[str, Any]]) -> None:
    """Names: the name rule, lowercase, unique among siblings in each locale; descriptions and choice names at most
    100 characters; only Discord's locales."""
    levels = [payloads] + [part["options"] for payload in payloads for part in _walk(payload) if part.get("options")]
    for siblings in levels:
        for locale in DISCORD_LOCALES:
            names = [(part.get("name_localizations") or {}).get(locale, part["name"]) for part in siblings]
            assert len(names) == len(set(names)), (locale, names)
    for payload in payloads:
        for part in _walk(payload):
            localized: dict[str, str] = part["name_localizations"] or {}
            assert set(localized) <= DISCORD_LOCALES
            assert all(NAME.fullmatch(name) and name == name.lower() for name in localized.values()), localized
            descriptions = part["description_localizations"] or {}
            assert all(1 <= len(text) <= 100 for text in descriptions.values()), descriptions
            for choice in part.get("choices") or []:
                assert all(1 <= len(text) <= 100 for text in (choice["name_localizations"] or {}).values())


def test_every_catalogue_is_package_data_of_the_gateway() -> None:
    """The images install the wheel, which holds only the files pyproject.toml declares as package data."""
    root = Path(__file__).resolve().parents[2]
    declared = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["gateway"]
    shipped = {path for pattern in declared for path in (root / "gateway").glob(pattern)}
    assert {catalogue_path(code) for code in CATALOGUES} <= shipped
