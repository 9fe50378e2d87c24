"""The nextcord clients encore runs: one interaction entry point for commands and components.

Component clicks go to the router by custom id; slash commands and autocomplete go to nextcord's own dispatch. A
failure inside nextcord before a command's callback runs (options that do not parse, a command that was renamed)
is logged and answered with an apology, so no interaction is left to time out.
"""

from __future__ import annotations

import logging
from typing import Any, Final, override

import nextcord

from gateway.components import ComponentRouter
from gateway.discord_render import send_kwargs
from gateway.edge import APOLOGY
from gateway.render import Reply
from shared.observability import GatewayMetrics, InteractionOutcome

_log: Final = logging.getLogger(__name__)
Interaction = nextcord.Interaction[Any]


def _command_name(interaction: Interaction) -> str:
    if interaction.type is nextcord.InteractionType.component:
        return "component"
    data: Any = interaction.data
    name = data.get("name") if isinstance(data, dict) else None
    return str(name) if name else "unknown"


async def route(
    client: nextcord.Client, components: ComponentRouter, interaction: Interaction, metrics: GatewayMetrics
) -> None:
    name = _command_name(interaction)
    outcome: InteractionOutcome = "ok"
    try:
        await _dispatch(client, components, interaction)
    except Exception:
        outcome = "error"
        raise
    finally:
        metrics.interaction(name, outcome)
        if interaction.response.is_done():
            metrics.observe_ack(name, (nextcord.utils.utcnow() - interaction.created_at).total_seconds())


async def _dispatch(client: nextcord.Client, components: ComponentRouter, interaction: Interaction) -> None:
    if interaction.type is nextcord.InteractionType.component:
        await components.on_interaction(interaction)
        return
    try:
        await client.process_application_commands(interaction)
    except Exception:  # noqa: BLE001 - nextcord raised before our callback: answer instead of timing out
        _log.error("interaction failed inside nextcord", exc_info=True, extra={"guild_id": interaction.guild_id})
        if interaction.type is nextcord.InteractionType.application_command and not interaction.response.is_done():
            try:
                await interaction.response.send_message(**send_kwargs(Reply.error(APOLOGY)), ephemeral=True)
            except nextcord.HTTPException:
                _log.warning("could not answer a failed interaction", extra={"guild_id": interaction.guild_id})


class EncoreClient(nextcord.Client):
    """Every interaction goes through `route` (component router or nextcord's command dispatch)."""

    def __init__(self, components: ComponentRouter, metrics: GatewayMetrics, **options: Any) -> None:
        super().__init__(**options)
        self.components = components
        self.metrics = metrics

    @override
    async def on_interaction(self, interaction: Interaction) -> None:
        await route(self, self.components, interaction, self.metrics)


class ShardedEncoreClient(EncoreClient, nextcord.AutoShardedClient):
    """Several shards in one process, with the same interaction entry point (the MRO puts the sharded client's
    connection handling under EncoreClient's `__init__` and `on_interaction`)."""
