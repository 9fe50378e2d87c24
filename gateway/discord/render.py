"""Turns render values into nextcord embeds and (presentational) views: the one door out of the gateway.

Every message, edit and autocomplete answer is built here, so each is cut to Discord's limits here
(`gateway.wording.limits`) and nowhere else.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any, Final

import nextcord

from gateway.wording.limits import fit_choices, fit_reply
from gateway.wording.reply import Button, ButtonStyle, Card, Reply, ReplyFile

_STYLES: Final = {
    ButtonStyle.PRIMARY: nextcord.ButtonStyle.primary,
    ButtonStyle.SECONDARY: nextcord.ButtonStyle.secondary,
    ButtonStyle.SUCCESS: nextcord.ButtonStyle.success,
    ButtonStyle.DANGER: nextcord.ButtonStyle.danger,
}


def embed(card: Card | None) -> nextcord.Embed | None:
    if card is None:
        return None
    result = nextcord.Embed(title=card.title, description=card.description or None, url=card.url, colour=card.colour)
    for field in card.fields:
        result.add_field(name=field.name, value=field.value, inline=field.inline)
    if card.footer:
        result.set_footer(text=card.footer)
    return result


def view(buttons: tuple[Button, ...]) -> nextcord.ui.View | None:
    """A view that only describes components: never stored, so clicks reach the router by custom id alone."""
    if not buttons:
        return None
    result = nextcord.ui.View(timeout=None, prevent_update=False)
    for button in buttons:
        result.add_item(
            nextcord.ui.Button(
                style=_STYLES[button.style],
                label=button.label,
                custom_id=button.custom_id,
                emoji=button.emoji,
                disabled=button.disabled,
            )
        )
    return result


def files(attached: tuple[ReplyFile, ...]) -> list[nextcord.File]:
    return [nextcord.File(io.BytesIO(file.data), filename=file.filename) for file in attached]


def send_kwargs(reply: Reply) -> dict[str, Any]:
    """Keyword arguments for a new message (nextcord rejects None for embed and view there)."""
    reply = fit_reply(reply)
    kwargs: dict[str, Any] = {"content": reply.content or None}
    card = embed(reply.card)
    if card is not None:
        kwargs["embed"] = card
    buttons = view(reply.buttons)
    if buttons is not None:
        kwargs["view"] = buttons
    if reply.files:
        kwargs["files"] = files(reply.files)
    return kwargs


def edit_kwargs(reply: Reply) -> dict[str, Any]:
    """Keyword arguments that replace a message completely (None clears content, embeds and components)."""
    reply = fit_reply(reply)
    kwargs: dict[str, Any] = {"content": reply.content or None, "embed": embed(reply.card), "view": view(reply.buttons)}
    if reply.files:
        kwargs["files"] = files(reply.files)
    return kwargs


def autocomplete(choices: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The `name -> value` mapping for `send_autocomplete`, within Discord's choice limits."""
    return fit_choices(choices)
