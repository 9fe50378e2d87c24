"""Interactions the fake creates (slash commands, autocomplete, component clicks) and their replies."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Final

from localdiscord.waiting import wait_until
from localdiscord.world.models import LOADING, Member, Message

type JSON = dict[str, Any]

APPLICATION_COMMAND: Final = 2
MESSAGE_COMPONENT: Final = 3
AUTOCOMPLETE: Final = 4
MODAL_SUBMIT: Final = 5


@dataclass(frozen=True, slots=True)
class Callback:
    """The bot's interaction callback: ``type`` 4..9, ``data`` as posted, ``delay`` after the interaction."""

    type: int
    data: JSON
    delay: float

    @property
    def ephemeral(self) -> bool:
        return bool(int(self.data.get("flags") or 0) & 64)


@dataclass(slots=True)
class Interaction:
    id: int
    token: str
    type: int
    guild_id: int
    channel_id: int
    member: Member
    payload: JSON
    created: float = field(default_factory=time.monotonic)
    callback: Callback | None = None
    callbacks_rejected: int = 0
    original: Message | None = None
    component_message: Message | None = None
    followups: list[Message] = field(default_factory=list)

    @staticmethod
    def new_token() -> str:
        return "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)


class InteractionHandle:
    """What a test holds after invoking a command or clicking a component; await the bot's answers."""

    def __init__(self, interaction: Interaction) -> None:
        self.interaction = interaction

    @property
    def id(self) -> int:
        return self.interaction.id

    @property
    def callback(self) -> Callback | None:
        return self.interaction.callback

    @property
    def followups(self) -> list[Message]:
        return list(self.interaction.followups)

    async def response(self, timeout: float = 5.0) -> Callback:  # noqa: ASYNC109
        """The interaction callback (type 4, 5, 6, 7, 8 or 9)."""
        return await wait_until(lambda: self.interaction.callback, timeout, f"callback to interaction {self.id}")

    async def reply(self, timeout: float = 5.0) -> Message:  # noqa: ASYNC109
        """The visible answer: the original message once it is no longer a deferred "thinking" one.

        For component interactions answered with type 6/7 this is the component's message.
        """

        def probe() -> Message | None:
            message = self.interaction.original
            if message is None or message.flags & LOADING:
                return None
            return message

        return await wait_until(probe, timeout, f"reply to interaction {self.id}")

    async def followup(self, index: int = 0, timeout: float = 5.0) -> Message:  # noqa: ASYNC109
        """The ``index``-th followup message (``POST /webhooks/{app}/{token}``)."""

        def probe() -> Message | None:
            followups = self.interaction.followups
            return followups[index] if len(followups) > index else None

        return await wait_until(probe, timeout, f"followup #{index} of interaction {self.id}")

    async def choices(self, timeout: float = 5.0) -> list[JSON]:  # noqa: ASYNC109
        """Autocomplete choices (callback type 8)."""
        callback = await self.response(timeout)
        if callback.type != 8:
            raise AssertionError(f"expected an autocomplete result (8), got callback type {callback.type}")
        choices: list[JSON] = callback.data.get("choices", [])
        return choices


def command_option(name: str, value: Any, kind: int | None = None, *, focused: bool = False) -> JSON:
    """One leaf option of an interaction, typed from the Python value unless ``kind`` is given."""
    if kind is None:
        kind = 5 if isinstance(value, bool) else 4 if isinstance(value, int) else 10 if isinstance(value, float) else 3
    option: JSON = {"name": name, "type": kind, "value": value}
    if focused:
        option["focused"] = True
    return option


def nest_options(leaves: list[JSON], subcommand: str | None, group: str | None) -> list[JSON]:
    """Wrap leaf options in a subcommand (type 1) and an optional subcommand group (type 2)."""
    if subcommand is None:
        return leaves
    nested = [{"name": subcommand, "type": 1, "options": leaves}]
    if group is None:
        return nested
    return [{"name": group, "type": 2, "options": nested}]


def interaction_payload(interaction: Interaction, application_id: int, data: JSON, guild_locale: str) -> JSON:
    """The INTERACTION_CREATE ``d`` (guild context): `locale` is the invoking member's client language,
    `guild_locale` the guild's preferred locale."""
    payload: JSON = {
        "id": str(interaction.id),
        "application_id": str(application_id),
        "type": interaction.type,
        "data": data,
        "guild_id": str(interaction.guild_id),
        "channel_id": str(interaction.channel_id),
        "channel": {"id": str(interaction.channel_id), "type": 0},
        "member": interaction.member.payload() | {"permissions": str((1 << 41) - 1)},
        "token": interaction.token,
        "version": 1,
        "app_permissions": str((1 << 41) - 1),
        "locale": interaction.member.user.locale,
        "guild_locale": guild_locale,
        "entitlements": [],
        "authorizing_integration_owners": {"0": str(interaction.guild_id)},
        "context": 0,
    }
    if interaction.component_message is not None:
        payload["message"] = interaction.component_message.payload()
    return payload
