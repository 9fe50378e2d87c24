"""`/settings`: show, change or reset the guild's settings; every value is validated by GuildSettings first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from pydantic import ValidationError

from gateway.commands.admission import Gate
from gateway.commands.invocation import Invocation
from gateway.commands.parsing import parse_duration_ms, parse_providers, parse_sponsorblock
from gateway.commands.permissions import Access
from gateway.wording import formatting
from gateway.wording.language import mark, tr
from gateway.wording.reply import Reply
from shared.errors import InvalidInputError
from shared.models import GuildSettings
from shared.settings_store import SettingsStore

_FIELD_TEXT: Final = {
    "dj_role_id": mark("DJ role"),
    "announce_channel_id": mark("announce channel"),
    "default_volume": mark("default volume must be 0-200"),
    "max_queue_length": mark("max queue length must be 1-100,000"),
    "user_share_percent": mark("per-user share must be 1-100 %"),
    "idle_timeout_s": mark("idle timeout must be between 10 s and 24 h"),
    "vote_skip_percent": mark("vote skip must be 0 (off) or 1-100 %"),
    "search_providers": mark("search providers"),
}


class Resettable(StrEnum):
    DJ_ROLE = "dj_role"
    ANNOUNCE_CHANNEL = "announce_channel"
    ALL = "all"


@dataclass(frozen=True, slots=True)
class SettingsChange:
    """The options of `/settings set`; None means "leave as is"."""

    dj_role_id: int | None = None
    announce_channel_id: int | None = None
    default_volume: int | None = None
    max_queue_length: int | None = None
    user_share_percent: int | None = None
    idle_timeout: str | None = None
    always_on: bool | None = None
    search_fallback: bool | None = None
    voice_status: bool | None = None
    vote_skip_percent: int | None = None
    sponsorblock: str | None = None
    """SponsorBlock categories as the member typed them (`parse_sponsorblock`)."""
    search_providers: str | None = None
    """Search providers in order as the member typed them (`parse_providers`)."""
    language: str | None = None
    """"auto" or a Discord locale encore has words for (the option's choices, checked at the edge)."""

    def changes(self, offered: Sequence[str]) -> dict[str, Any]:
        """The changed fields; `offered` are the operator's search providers."""
        values: dict[str, Any] = {
            "dj_role_id": self.dj_role_id,
            "announce_channel_id": self.announce_channel_id,
            "default_volume": self.default_volume,
            "max_queue_length": self.max_queue_length,
            "user_share_percent": self.user_share_percent,
            "always_on": self.always_on,
            "search_fallback": self.search_fallback,
            "voice_status": self.voice_status,
            "vote_skip_percent": self.vote_skip_percent,
            "language": self.language,
        }
        if self.idle_timeout is not None:
            values["idle_timeout_s"] = parse_duration_ms(self.idle_timeout) // 1000
        if self.sponsorblock is not None:
            values["sponsorblock"] = parse_sponsorblock(self.sponsorblock)
        if self.search_providers is not None:
            values["search_providers"] = parse_providers(self.search_providers, offered)
        return {name: value for name, value in values.items() if value is not None}


class SettingsActions:
    def __init__(self, gate: Gate, store: SettingsStore, providers: Sequence[str]) -> None:
        """`providers` are the operator's search providers (`Settings.search_providers`), in order."""
        self._gate = gate
        self._store = store
        self._providers = tuple(providers)

    async def show(self, invocation: Invocation) -> Reply:
        admission = await self._gate.admit(invocation, Access.READ, mark("Viewing settings"))
        return _private(formatting.settings_card(admission.settings))

    async def change(self, invocation: Invocation, change: SettingsChange) -> Reply:
        changes = change.changes(self._providers)
        if not changes:
            raise InvalidInputError(tr("Pick at least one setting to change."))
        admission = await self._gate.admit(invocation, Access.ADMIN, mark("Changing settings"))
        _validate(admission.settings, changes)
        updated = await self._store.update(invocation.guild_id, **changes)
        return _private(formatting.settings_card(updated), tr("✅ Settings saved."))

    async def reset(self, invocation: Invocation, what: Resettable) -> Reply:
        await self._gate.admit(invocation, Access.ADMIN, mark("Changing settings"))
        if what is Resettable.ALL:
            defaults = GuildSettings().model_dump()
            updated = await self._store.update(invocation.guild_id, **defaults)
        else:
            name = "dj_role_id" if what is Resettable.DJ_ROLE else "announce_channel_id"
            updated = await self._store.update(invocation.guild_id, **{name: None})
        return _private(formatting.settings_card(updated), tr("✅ Settings reset."))


def _validate(current: GuildSettings, changes: dict[str, Any]) -> None:
    try:
        GuildSettings.model_validate({**current.model_dump(), **changes})
    except ValidationError as exc:
        fields = {str(error["loc"][0]) for error in exc.errors()}
        problems = sorted(tr(_FIELD_TEXT[field]) if field in _FIELD_TEXT else field for field in fields)
        raise InvalidInputError(tr("Invalid setting: {problems}.", problems="; ".join(problems))) from None


def _private(reply: Reply, content: str = "") -> Reply:
    return Reply(content=content, card=reply.card, ephemeral=True)
