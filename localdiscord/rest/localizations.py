"""Application command localisations, checked and listed the way Discord does.

Discord keys `name_localizations` and `description_localizations` (of a command, its options and their choices)
by its own locale codes and refuses a command whose dictionaries hold another key, a name outside the name rule
(lowercase where the script has case), or a description or choice name outside 1–100 characters, with the usual
400 "Invalid Form Body" (`limits.invalid_form_body`). Stored commands keep the dictionaries verbatim; a listing
returns them only when asked with `?with_localizations=true` (nextcord always asks), else it leaves them out.
"""

from __future__ import annotations

import re
from typing import Any, Final

from localdiscord.rest.limits import FormErrors, Path
from localdiscord.rest.replies import JSON

LOCALES: Final = frozenset(
    (
        *("id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl", "no", "pl"),
        *("pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi", "th", "zh-CN", "ja"),
        *("zh-TW", "ko"),
    )
)
"""Discord's locales (developer docs, "Reference: Locales")."""
NAME: Final = re.compile(r"^[-_\w]{1,32}$")
"""The name rule `^[-_\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$` as far as Python's `\\w` reaches."""
DESCRIPTION: Final = 100
_KEYS: Final = ("name_localizations", "description_localizations")


def _check_dictionary(errors: FormErrors, path: Path, found: Any, *, names: bool) -> None:
    if found is None:
        return
    if not isinstance(found, dict):
        errors.add(path, "DICT_TYPE_CONVERT", "Only dictionaries may be used in a DictType")
        return
    for locale, text in found.items():
        where = (*path, str(locale))
        if locale not in LOCALES:
            errors.add(where, "LOCALE_INVALID", "Invalid locale")
        elif names and not (isinstance(text, str) and NAME.fullmatch(text) and text == text.lower()):
            errors.add(where, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        elif not names:
            errors.bad_length(where, text, 1, DESCRIPTION)


def _check_part(errors: FormErrors, path: Path, part: JSON, *, choice: bool = False) -> None:
    _check_dictionary(errors, (*path, "name_localizations"), part.get("name_localizations"), names=not choice)
    if choice:
        return
    _check_dictionary(errors, (*path, "description_localizations"), part.get("description_localizations"), names=False)
    for key, kind in (("options", False), ("choices", True)):
        children = part.get(key)
        for index, child in enumerate(children if isinstance(children, list) else []):
            if isinstance(child, dict):
                _check_part(errors, (*path, key, str(index)), child, choice=kind)


def command_errors(body: JSON) -> JSON | None:
    """The `errors` tree for a command body whose localisations Discord would refuse, else None."""
    errors = FormErrors()
    _check_part(errors, (), body)
    return errors.tree or None


def without_localizations(command: JSON) -> JSON:
    """A listed command as Discord lists it without `with_localizations`: no localisation dictionaries."""
    listed = {key: value for key, value in command.items() if key not in _KEYS}
    for key in ("options", "choices"):
        children = command.get(key)
        if isinstance(children, list):
            listed[key] = [without_localizations(child) if isinstance(child, dict) else child for child in children]
    return listed
