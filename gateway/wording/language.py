"""The member's language: every word encore shows goes through `tr`/`trn`, in the language of the interaction (or,
for announcements, of the guild) being answered.

Policy:
- English is the source: a message's English text is its gettext msgid, written where the message is built (in
  gateway/wording/ and the command layer). A message a catalogue lacks is shown in English.
- Catalogues are gettext `.po` files under `gateway/wording/locales/<code>/LC_MESSAGES/encore.po`, committed and
  read (and compiled to `.mo` in memory, with Babel) once per process on first use: no build step, so a fresh clone
  and the images (which ship the `.po` files as package data) speak every language.
- Placeholders are named, `str.format` style (`{title}`), so a translation may reorder them; `tr` fills them.
  `tests/gateway/test_catalogues.py` fails when a catalogue lacks a message of the code or its placeholders differ.
- The language is a context variable, set for one interaction by the Discord edge (`speaking(interaction.locale)`)
  and for one announcement by the announcer (the guild's preferred locale); tasks started while answering inherit
  it. Discord locales map to catalogues exactly (`pt-BR`), else by language (`es-419` reads `es-ES`), else English.
- Slash command names, descriptions and choices are looked up in the context `COMMAND_CONTEXT`
  (`localizations`), for Discord's `name_localizations` / `description_localizations`.
"""

from __future__ import annotations

import functools
import gettext
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from io import BytesIO
from pathlib import Path
from typing import Final

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LOCALES_DIR: Final = Path(__file__).parent / "locales"
DOMAIN: Final = "encore"
ENGLISH: Final = "en-US"
CATALOGUES: Final = {"de": "de", "fr": "fr", "es-ES": "es_ES", "pt-BR": "pt_BR", "ja": "ja"}
"""Discord locale -> catalogue directory (gettext's spelling), for every language encore ships besides English."""
LANGUAGE_NAMES: Final = {
    ENGLISH: "English",
    "de": "Deutsch",
    "fr": "Français",
    "es-ES": "Español",
    "pt-BR": "Português (Brasil)",
    "ja": "日本語",
}
"""Every language encore speaks, by Discord locale, named in itself (as `/settings set language` offers them)."""
ALSO_READ_AS: Final = {"es-419": "es-ES"}
"""Discord locales without a catalogue of their own whose command picker shows a close one (Latin American
Spanish reads Spain's); replies map them by language anyway."""
COMMAND_CONTEXT: Final = "command"
MAX_LOCALE: Final = 16
"""Discord's locale codes are at most 6 characters; anything much longer is not one."""
"""The gettext context of slash command names and option names (short words that would collide with replies)."""


class Language:
    """One language: its gettext translations and its number format."""

    def __init__(self, discord_locale: str, translations: gettext.NullTranslations) -> None:
        self.discord_locale = discord_locale
        self.translations = translations
        self._babel = Locale.parse(CATALOGUES.get(discord_locale, "en_US"))

    def number(self, value: int) -> str:
        """`1,234` in English, `1.234` in German, `1 234` in French."""
        return str(format_decimal(value, locale=self._babel))


def catalogue_path(discord_locale: str) -> Path:
    return LOCALES_DIR / CATALOGUES[discord_locale] / "LC_MESSAGES" / f"{DOMAIN}.po"


def _compiled(discord_locale: str) -> gettext.GNUTranslations:
    with catalogue_path(discord_locale).open("rb") as source:
        catalog = read_po(source, locale=CATALOGUES[discord_locale], domain=DOMAIN)
    binary = BytesIO()
    write_mo(binary, catalog, use_fuzzy=False)
    binary.seek(0)
    return gettext.GNUTranslations(binary)


def language(discord_locale: object) -> Language:
    """The language for a locale as Discord sends it (`de`, `pt-BR`, `es-419`, None); English when unknown.
    Payload text is never a cache key: at most one Language per catalogue (and English) is ever built."""
    return _loaded(_catalogue_locale(discord_locale))


@functools.cache
def _loaded(code: str | None) -> Language:
    if code is None:
        return Language(ENGLISH, gettext.NullTranslations())
    return Language(code, _compiled(code))


def loaded_languages() -> int:
    """How many languages this process has built (at most one per catalogue, plus English)."""
    return _loaded.cache_info().currsize


def _catalogue_locale(discord_locale: object) -> str | None:
    if not isinstance(discord_locale, str) or len(discord_locale) > MAX_LOCALE:
        return None
    if discord_locale in CATALOGUES:
        return discord_locale
    base = discord_locale.split("-", 1)[0].lower()
    return next((code for code in CATALOGUES if code.split("-", 1)[0] == base), None)


_current: ContextVar[Language | None] = ContextVar("encore_language", default=None)


def current() -> Language:
    return _current.get() or language(None)


@contextmanager
def speaking(discord_locale: object) -> Iterator[Language]:
    """Words built inside (and in tasks started inside) are in this locale's language."""
    chosen = language(discord_locale)
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


def tr(message: str, /, **fields: object) -> str:
    """`message` (English, the msgid) in the current language, with its `{placeholders}` filled."""
    text = current().translations.gettext(message)
    return text.format(**fields) if fields else text


def trn(singular: str, plural: str, count: int, /, **fields: object) -> str:
    """The plural form for `count` in the current language; `{count}` is filled with the number as it reads."""
    text = current().translations.ngettext(singular, plural, count)
    return text.format(count=current().number(count), **fields)


def command_word(name: str) -> str:
    """A declared command or option name as the member's command picker shows it (`level` -> German `stufe`)."""
    return current().translations.pgettext(COMMAND_CONTEXT, name)


def mark(message: str) -> str:
    """Marks a message for the catalogues where it is defined (a table of kinds); `tr` translates it where used."""
    return message


def number(value: int) -> str:
    return current().number(value)


def localizations(message: str, *, context: str | None = None) -> dict[str, str]:
    """Discord's `*_localizations` for an English command string: locale -> translation, for each catalogue that
    has one."""
    found: dict[str, str] = {}
    for code in CATALOGUES:
        translations = language(code).translations
        text = translations.pgettext(context, message) if context else translations.gettext(message)
        if text != message or _translated(translations, message, context):
            found[code] = text
    found.update({alias: found[code] for alias, code in ALSO_READ_AS.items() if code in found})
    return found


def _translated(translations: gettext.NullTranslations, message: str, context: str | None) -> bool:
    """A translation equal to the English text (French "volume") still counts."""
    catalog: dict[str, str] = getattr(translations, "_catalog", {})
    return (f"{context}\x04{message}" if context else message) in catalog
