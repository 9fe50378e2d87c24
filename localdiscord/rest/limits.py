"""Discord's size limits, checked the way Discord checks them: a request that oversteps anywhere is refused whole.

Real Discord answers HTTP 400 `{"code": 50035, "message": "Invalid Form Body", "errors": {...}}`, where `errors`
mirrors the body's shape down to the bad value and ends in `{"_errors": [{"code": ..., "message": ...}]}` (list
indexes become string keys). The REST routes call `message_errors` for message bodies (channel messages and edits,
follow-ups, `@original` edits) and `callback_errors` for interaction callbacks (replies, updates, autocomplete
results), and answer `invalid_form_body(errors)` when either finds something, so a bot that oversteps fails its
test the way it would fail in production.
"""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web

from localdiscord.rest.replies import JSON, json_reply

INVALID_FORM_BODY: Final = 50035
MESSAGE_CONTENT: Final = 2000
EMBEDS: Final = 10
EMBED_TITLE: Final = 256
EMBED_DESCRIPTION: Final = 4096
EMBED_FIELDS: Final = 25
EMBED_FIELD_NAME: Final = 256
EMBED_FIELD_VALUE: Final = 1024
EMBED_FOOTER: Final = 2048
EMBED_AUTHOR_NAME: Final = 256
EMBED_TOTAL: Final = 6000
ACTION_ROWS: Final = 5
ROW_COMPONENTS: Final = 5
BUTTON_LABEL: Final = 80
CUSTOM_ID: Final = 100
SELECT_OPTIONS: Final = 25
CHOICES: Final = 25
CHOICE_NAME: Final = 100
CHOICE_VALUE: Final = 100
_MESSAGE_CALLBACKS: Final = (4, 7)
_AUTOCOMPLETE_RESULT: Final = 8

type Path = tuple[str, ...]


class FormErrors:
    """Collects errors under their body paths, nested as Discord nests them."""

    def __init__(self) -> None:
        self.tree: JSON = {}

    def add(self, path: Path, code: str, message: str) -> None:
        node = self.tree
        for part in path:
            node = node.setdefault(part, {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def max_length(self, path: Path, value: object, limit: int) -> None:
        if isinstance(value, str | list) and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def bad_length(self, path: Path, value: object, low: int, high: int) -> None:
        if not isinstance(value, str) or not low <= len(value) <= high:
            self.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {low} and {high} in length.")


def invalid_form_body(errors: JSON) -> web.Response:
    return json_reply({"code": INVALID_FORM_BODY, "message": "Invalid Form Body", "errors": errors}, 400)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _embed_size(embed: JSON) -> int:
    fields = embed.get("fields") or []
    size = len(_text(embed.get("title"))) + len(_text(embed.get("description")))
    size += sum(len(_text(f.get("name"))) + len(_text(f.get("value"))) for f in fields if isinstance(f, dict))
    size += len(_text((embed.get("footer") or {}).get("text"))) + len(_text((embed.get("author") or {}).get("name")))
    return size


def _check_embed(errors: FormErrors, path: Path, embed: JSON) -> None:
    errors.max_length((*path, "title"), embed.get("title"), EMBED_TITLE)
    errors.max_length((*path, "description"), embed.get("description"), EMBED_DESCRIPTION)
    fields = embed.get("fields") or []
    errors.max_length((*path, "fields"), fields, EMBED_FIELDS)
    for index, field in enumerate(fields if isinstance(fields, list) else []):
        errors.max_length((*path, "fields", str(index), "name"), field.get("name"), EMBED_FIELD_NAME)
        errors.max_length((*path, "fields", str(index), "value"), field.get("value"), EMBED_FIELD_VALUE)
    errors.max_length((*path, "footer", "text"), (embed.get("footer") or {}).get("text"), EMBED_FOOTER)
    errors.max_length((*path, "author", "name"), (embed.get("author") or {}).get("name"), EMBED_AUTHOR_NAME)


def _check_component(errors: FormErrors, path: Path, component: JSON) -> None:
    errors.max_length((*path, "custom_id"), component.get("custom_id"), CUSTOM_ID)
    errors.max_length((*path, "label"), component.get("label"), BUTTON_LABEL)
    errors.max_length((*path, "options"), component.get("options"), SELECT_OPTIONS)


def _check_components(errors: FormErrors, rows: Any) -> None:
    if not isinstance(rows, list):
        return
    errors.max_length(("components",), rows, ACTION_ROWS)
    for row_index, row in enumerate(rows):
        inner = (row.get("components") or []) if isinstance(row, dict) else []
        path = ("components", str(row_index), "components")
        errors.max_length(path, inner, ROW_COMPONENTS)
        for index, component in enumerate(inner):
            if isinstance(component, dict):
                _check_component(errors, (*path, str(index)), component)


def message_errors(body: JSON) -> JSON | None:
    """Discord's `errors` tree for a message body that oversteps a limit, or None when it fits."""
    errors = FormErrors()
    errors.max_length(("content",), body.get("content"), MESSAGE_CONTENT)
    embeds = body.get("embeds") or []
    if isinstance(embeds, list):
        errors.max_length(("embeds",), embeds, EMBEDS)
        for index, embed in enumerate(embeds):
            if isinstance(embed, dict):
                _check_embed(errors, ("embeds", str(index)), embed)
        if sum(_embed_size(embed) for embed in embeds if isinstance(embed, dict)) > EMBED_TOTAL:
            errors.add(("embeds",), "MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {EMBED_TOTAL}")
    _check_components(errors, body.get("components"))
    return errors.tree or None


def _choice_errors(data: JSON) -> JSON | None:
    errors = FormErrors()
    choices = data.get("choices") or []
    errors.max_length(("choices",), choices, CHOICES)
    for index, choice in enumerate(choices if isinstance(choices, list) else []):
        path = ("choices", str(index))
        errors.bad_length((*path, "name"), choice.get("name"), 1, CHOICE_NAME)
        errors.max_length((*path, "value"), choice.get("value"), CHOICE_VALUE)
    return errors.tree or None


def callback_errors(body: JSON) -> JSON | None:
    """The `errors` tree for an interaction callback whose `data` oversteps (nested under "data")."""
    kind = body.get("type")
    data = body.get("data")
    if not isinstance(data, dict):
        return None
    if kind in _MESSAGE_CALLBACKS:
        found = message_errors(data)
    elif kind == _AUTOCOMPLETE_RESULT:
        found = _choice_errors(data)
    else:
        return None
    return {"data": found} if found else None
