"""Issuing a command to a guild's owner: stamped with who issued it from which channel, appended to the guild's
command stream (which the owner applies in order), and counted."""

from __future__ import annotations

from gateway.commands.invocation import Invocation
from shared.command_store import CommandStore
from shared.commands import Command
from shared.observability import GatewayMetrics


class Issuer:
    def __init__(self, commands: CommandStore, metrics: GatewayMetrics) -> None:
        self._commands = commands
        self._metrics = metrics

    async def send(self, invocation: Invocation, command: Command) -> str:
        """Append a command to the guild's stream, stamped with who issued it from where; its stream entry id."""
        stamped = command.model_copy(
            update={"issued_by": invocation.actor.user_id, "text_channel_id": invocation.text_channel_id}
        )
        entry_id = await self._commands.append(invocation.guild_id, stamped)
        self._metrics.command_sent(command.kind)
        return entry_id
