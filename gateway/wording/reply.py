"""Library-free descriptions of what the bot says: replies, cards (embeds) and buttons.

Everything the gateway shows is built as these values first, so formatting and command logic are tested without
Discord; `gateway.discord.render` turns them into nextcord objects at the edge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ButtonStyle(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    SUCCESS = "success"
    DANGER = "danger"


@dataclass(frozen=True, slots=True)
class Button:
    custom_id: str
    label: str
    style: ButtonStyle = ButtonStyle.SECONDARY
    emoji: str | None = None
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class CardField:
    name: str
    value: str
    inline: bool = True


@dataclass(frozen=True, slots=True)
class Card:
    """An embed."""

    title: str
    description: str = ""
    url: str | None = None
    fields: tuple[CardField, ...] = ()
    footer: str | None = None
    colour: int = 0x5865F2


@dataclass(frozen=True, slots=True)
class ReplyFile:
    """A file attached to a reply (an exported playlist)."""

    filename: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Reply:
    """One message: an interaction reply, a notice or the now-playing message."""

    content: str = ""
    ephemeral: bool = False
    card: Card | None = None
    buttons: tuple[Button, ...] = field(default=())
    files: tuple[ReplyFile, ...] = field(default=())
    """Uploaded with the message; an edit with files replaces the message's attachments, one without keeps them."""

    @classmethod
    def error(cls, text: str) -> Reply:
        return cls(content=f"⚠️ {text}", ephemeral=True)

    @classmethod
    def note(cls, text: str, *, ephemeral: bool = False) -> Reply:
        return cls(content=text, ephemeral=ephemeral)
