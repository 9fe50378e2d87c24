"""What every command handler receives: who asked where, and a way to acknowledge before slow work."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from gateway.commands.permissions import Actor
from gateway.wording.reply import Reply


@dataclass(frozen=True, slots=True)
class Invocation:
    guild_id: int
    actor: Actor
    text_channel_id: int | None
    bot_channel_id: int | None
    """The voice channel the bot is in (from the gateway's cache), None when it is not connected."""
    listeners: frozenset[int] = frozenset()
    """Who listens in the bot's voice channel: humans who are not deafened (the voters of vote skip)."""


class Responder(Protocol):
    """The interaction's acknowledgement, owned by the edge; handlers call `defer` before slow work."""

    async def defer(self, *, ephemeral: bool = False) -> None: ...

    async def edit(self, reply: Reply) -> None:
        """Replace the deferred (or already sent) reply; usable for 15 minutes after the interaction."""
        ...
