"""Discord's size limits, and the one place encore's output is cut to fit them.

Discord rejects a whole request (HTTP 400, code 50035 "Invalid Form Body") when any part oversteps, so the member
sees an error or "The application did not respond" instead of a slightly shorter message. Every reply, follow-up,
edit, now-playing card and announcement passes through `fit_reply` (called by `gateway.discord.render`, where
nextcord objects are built), and every autocomplete answer through `fit_choices`. Text is cut with "…".

The numbers are Discord's documented limits (developer docs: "Message Resource" for content, "Embed Limits" for
embeds, "Interactions: Autocomplete" for choices, "Component Reference" for buttons and selects).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from typing import Final

from gateway.wording.reply import Button, Card, CardField, Reply

_log: Final = logging.getLogger(__name__)

ELLIPSIS: Final = "…"

MESSAGE_CONTENT: Final = 2000
"""Characters of a message's `content`."""
EMBED_TITLE: Final = 256
EMBED_DESCRIPTION: Final = 4096
EMBED_FIELD_NAME: Final = 256
EMBED_FIELD_VALUE: Final = 1024
EMBED_FOOTER: Final = 2048
EMBED_AUTHOR_NAME: Final = 256
EMBED_FIELDS: Final = 25
"""Fields per embed."""
EMBED_TOTAL: Final = 6000
"""Characters of title, description, field names and values, footer and author name together."""
AUTOCOMPLETE_CHOICES: Final = 25
CHOICE_NAME: Final = 100
CHOICE_VALUE: Final = 100
"""Characters of a string option's choice value. A longer value is never cut (that would be a different query):
the caller maps it to a short key first (see `gateway.stores.recent.RecentStore.shorten`)."""
BUTTON_LABEL: Final = 80
CUSTOM_ID: Final = 100
COMPONENTS: Final = 25
"""Buttons per message (5 action rows of 5)."""
SELECT_OPTIONS: Final = 25
VOICE_STATUS: Final = 500
"""Characters of a voice channel's status (`PUT /channels/{id}/voice-status`, not in Discord's docs: the limit is
the one Discord enforces with a 400). Applied in `gateway.wording.voice_status`."""


def cut(text: str, limit: int) -> str:
    """`text` itself when it fits, else its start and "…" in at most `limit` characters: at a line end when one
    falls in the second half (a queue page loses whole lines, not half a link), else mid-line."""
    if len(text) <= limit:
        return text
    head = text[: max(0, limit - len(ELLIPSIS))]
    line_end = head.rfind("\n")
    if line_end >= limit // 2:
        head = head[: line_end + 1]
    return head + ELLIPSIS


def fit_reply(reply: Reply) -> Reply:
    """The reply with content, card and buttons cut to Discord's limits (unchanged when it fits)."""
    card = fit_card(reply.card) if reply.card is not None else None
    return replace(reply, content=cut(reply.content, MESSAGE_CONTENT), card=card, buttons=fit_buttons(reply.buttons))


def card_size(card: Card) -> int:
    """What Discord counts toward EMBED_TOTAL."""
    fields = sum(len(field.name) + len(field.value) for field in card.fields)
    return len(card.title) + len(card.description) + fields + len(card.footer or "")


def fit_card(card: Card) -> Card:
    """Each part cut to its own limit, then EMBED_TOTAL shared out in reading order of importance: title,
    description, footer, then fields while they fit (the last one that does not fit whole is dropped)."""
    budget = EMBED_TOTAL
    title = cut(card.title, min(EMBED_TITLE, budget))
    budget -= len(title)
    description = cut(card.description, min(EMBED_DESCRIPTION, budget))
    budget -= len(description)
    footer = cut(card.footer, min(EMBED_FOOTER, budget)) if card.footer is not None else None
    budget -= len(footer or "")
    fields: list[CardField] = []
    for field in card.fields[:EMBED_FIELDS]:
        fitted = CardField(cut(field.name, EMBED_FIELD_NAME), cut(field.value, EMBED_FIELD_VALUE), field.inline)
        size = len(fitted.name) + len(fitted.value)
        if size > budget:
            break
        fields.append(fitted)
        budget -= size
    return replace(card, title=title, description=description, fields=tuple(fields), footer=footer)


def fit_buttons(buttons: tuple[Button, ...]) -> tuple[Button, ...]:
    """Labels cut; a button whose custom id is too long is dropped (a cut id would route elsewhere)."""
    kept: list[Button] = []
    for button in buttons:
        if len(button.custom_id) > CUSTOM_ID:
            _log.error("dropping a button whose custom id has %d characters", len(button.custom_id))
            continue
        kept.append(replace(button, label=cut(button.label, BUTTON_LABEL)))
    return tuple(kept[:COMPONENTS])


def fit_choices(choices: Iterable[tuple[str, str]]) -> dict[str, str]:
    """At most AUTOCOMPLETE_CHOICES `name -> value` pairs, names cut; a value over CHOICE_VALUE is dropped
    (logged), since cutting it would offer a different query under the same name."""
    fitted: dict[str, str] = {}
    for name, value in choices:
        if len(fitted) == AUTOCOMPLETE_CHOICES:
            break
        if not value or len(value) > CHOICE_VALUE:
            _log.error("dropping an autocomplete choice whose value has %d characters", len(value))
            continue
        fitted.setdefault(cut(name, CHOICE_NAME) or cut(value, CHOICE_NAME), value)
    return fitted
