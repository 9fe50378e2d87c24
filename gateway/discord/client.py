"""The nextcord clients encore runs: how they are built and pointed at Discord, which connection failures are worth
retrying, and one interaction entry point for commands and components.

Component clicks go to the router by custom id; slash commands and autocomplete are first checked against the
declarations the bot registered (`gateway.commands.option_check`: a bad payload gets an ephemeral error naming the
option, or no suggestions, and never reaches nextcord's conversions or a command), then go to nextcord's own
dispatch. A failure inside nextcord before a command's callback runs is logged and answered with an apology, so no
interaction is left to time out.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Final, override

import aiohttp
import nextcord

from gateway.commands.answering import APOLOGY
from gateway.commands.option_check import CommandSchemas
from gateway.discord.components import ComponentRouter
from gateway.discord.interaction import OUTCOME, outcome
from gateway.discord.listeners import cache_voice_members
from gateway.discord.render import send_kwargs
from gateway.wording.language import mark, speaking, tr
from gateway.wording.reply import Reply
from shared.errors import InvalidInputError
from shared.observability import GatewayMetrics
from shared.settings import GatewaySettings

_log: Final = logging.getLogger(__name__)
Interaction = nextcord.Interaction[Any]
COMMAND: Final = nextcord.InteractionType.application_command
AUTOCOMPLETE: Final = nextcord.InteractionType.application_command_autocomplete
UNKNOWN_INTERACTION: Final = mark("I don't know what to do with that (any more).")
CONNECT_FAILURES: Final = (
    aiohttp.ClientError,
    OSError,
    TimeoutError,
    nextcord.GatewayNotFound,
    nextcord.DiscordServerError,
)
"""Why a connection to Discord could not be made (network, Discord down): worth retrying from scratch."""
LoginRefused: Final = nextcord.LoginFailure
"""Discord refused the bot token: no retry can help."""


class GuildIds:
    """The interaction's guild as `option_check` sees it (nothing is known outside a guild)."""

    def __init__(self, guild: nextcord.Guild | None) -> None:
        self._guild = guild

    def has_role(self, role_id: int) -> bool:
        return self._guild is not None and self._guild.get_role(role_id) is not None

    def channel_type(self, channel_id: int) -> int | None:
        channel = self._guild.get_channel(channel_id) if self._guild is not None else None
        return channel.type.value if channel is not None else None


class Declarations:
    """The command payloads the client registers with Discord, read on first use (cogs are added before start)."""

    def __init__(self, client: nextcord.Client) -> None:
        self._client = client
        self._schemas: CommandSchemas | None = None

    def schemas(self) -> CommandSchemas:
        if self._schemas is None:
            commands = self._client.get_all_application_commands()
            self._schemas = CommandSchemas(command.get_payload(None) for command in commands)
        return self._schemas


def _command_name(client: EncoreClient, interaction: Interaction) -> str:
    """A registered command's name, "component" or "unknown" (never other payload text: it labels metrics)."""
    if interaction.type is nextcord.InteractionType.component:
        return "component"
    data: Any = interaction.data
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) and client.declarations.schemas().declaration(name) else "unknown"


async def route(client: EncoreClient, interaction: Interaction) -> None:
    """Everything said while answering (and in tasks started meanwhile) is in the member's language."""
    name = _command_name(client, interaction)
    try:
        with speaking(interaction.locale):
            await _dispatch(client, interaction)
    except Exception:
        interaction.attached[OUTCOME] = "error"
        raise
    finally:
        client.metrics.interaction(name, outcome(interaction))
        if interaction.response.is_done():
            client.metrics.observe_ack(name, (nextcord.utils.utcnow() - interaction.created_at).total_seconds())


async def _dispatch(client: EncoreClient, interaction: Interaction) -> None:
    if interaction.type is nextcord.InteractionType.component:
        await client.components.on_interaction(interaction)
        return
    if interaction.type not in (COMMAND, AUTOCOMPLETE):
        await _refuse(interaction, tr(UNKNOWN_INTERACTION))
        return
    try:
        client.declarations.schemas().check(
            interaction.data, GuildIds(interaction.guild), autocomplete=interaction.type is AUTOCOMPLETE
        )
    except InvalidInputError as exc:
        _log.warning(
            "%s refused at the edge: %s",
            _command_name(client, interaction),
            exc.message,
            extra={"guild_id": interaction.guild_id},
        )
        await _refuse(interaction, exc.message)
        return
    try:
        await client.process_application_commands(interaction)
    except Exception:  # noqa: BLE001 - nextcord raised before our callback: answer instead of timing out
        interaction.attached[OUTCOME] = "error"
        _log.error("interaction failed inside nextcord", exc_info=True, extra={"guild_id": interaction.guild_id})
        if interaction.type is nextcord.InteractionType.application_command and not interaction.response.is_done():
            try:
                await interaction.response.send_message(**send_kwargs(Reply.error(tr(APOLOGY))), ephemeral=True)
            except nextcord.HTTPException:
                _log.warning("could not answer a failed interaction", extra={"guild_id": interaction.guild_id})


async def _refuse(interaction: Interaction, text: str) -> None:
    """An ephemeral error (no suggestions for autocomplete); nothing else happens."""
    interaction.attached[OUTCOME] = "refused"
    try:
        if interaction.type is AUTOCOMPLETE:
            await interaction.response.send_autocomplete({})
        elif not interaction.response.is_done():
            await interaction.response.send_message(**send_kwargs(Reply.error(text)), ephemeral=True)
    except nextcord.HTTPException:
        _log.warning("could not answer a refused interaction", extra={"guild_id": interaction.guild_id})


def _readable(payload: Any) -> Any:
    """An INTERACTION_CREATE payload nextcord can parse: a component or modal whose `custom_id` is not text (or
    whose `component_type` is not a number) gets an empty id, which the router answers as not understood.

    nextcord looks the id up in its view store while parsing, before any handler runs; a list there used to raise
    inside the gateway's read loop and end the process."""
    if not isinstance(payload, dict) or payload.get("type") not in (3, 5):
        return payload
    data = payload.get("data")
    data = dict(data) if isinstance(data, dict) else {}
    if not isinstance(data.get("custom_id"), str):
        data["custom_id"] = ""
    if type(data.get("component_type")) is not int:
        data["component_type"] = 0
    return {**payload, "data": data}


def guard_interaction_parser(client: nextcord.Client) -> None:
    """Wrap nextcord's INTERACTION_CREATE parser: payloads are made readable first, and one that still cannot be
    parsed is dropped with a warning instead of raising out of the gateway connection."""
    parsers: dict[str, Any] = client._connection.parsers  # nextcord has no hook before its own parsing
    parse = parsers["INTERACTION_CREATE"]

    def guarded(payload: Any) -> None:
        try:
            parse(_readable(payload))
        except Exception as exc:  # noqa: BLE001 - one unreadable interaction must not end the connection
            _log.warning("dropped an interaction nextcord could not read (%s)", type(exc).__name__)

    parsers["INTERACTION_CREATE"] = guarded


class EncoreClient(nextcord.Client):
    """Every interaction goes through `route` (checked at the edge, then the component router or nextcord's command
    dispatch)."""

    def __init__(self, components: ComponentRouter, metrics: GatewayMetrics, **options: Any) -> None:
        super().__init__(**options)
        self.components = components
        self.metrics = metrics
        self.declarations = Declarations(self)
        guard_interaction_parser(self)
        cache_voice_members(self)

    @override
    async def on_interaction(self, interaction: Interaction) -> None:
        await route(self, interaction)


class ShardedEncoreClient(EncoreClient, nextcord.AutoShardedClient):
    """Several shards in one process, with the same interaction entry point (the MRO puts the sharded client's
    connection handling under EncoreClient's `__init__` and `on_interaction`)."""


def point_nextcord_at(api_base: str) -> None:
    """nextcord has no setting for the REST base; its Route class attribute is the documented hook."""
    nextcord.http.Route.BASE = api_base.rstrip("/")


def build_client(settings: GatewaySettings, components: ComponentRouter, metrics: GatewayMetrics) -> EncoreClient:
    """Guilds and voice states are the only intents needed: interactions carry the invoking member."""
    intents = nextcord.Intents.none()
    intents.guilds = True
    intents.voice_states = True
    options: dict[str, Any] = {
        "intents": intents,
        "default_guild_ids": list(settings.guild_ids) or None,
        "allowed_mentions": nextcord.AllowedMentions.none(),
        "max_messages": None,
    }
    if settings.shard_count is None:
        return EncoreClient(components, metrics, **options)
    shard_ids = list(settings.shard_ids) if settings.shard_ids is not None else None
    return ShardedEncoreClient(components, metrics, shard_count=settings.shard_count, shard_ids=shard_ids, **options)


def on_guild_available(client: EncoreClient, handler: Callable[[int], None]) -> None:
    """Call `handler` with a guild's id whenever the guild becomes available (after a reconnect or an outage)."""

    async def available(guild: nextcord.Guild) -> None:
        handler(guild.id)

    client.add_listener(available, "on_guild_available")
