"""Scenario API: invoke slash commands and autocomplete as a member, click components."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from localdiscord.fake_state import Core
from localdiscord.gateway.hub import GatewayHub
from localdiscord.rest.attachments import Cdn, Upload
from localdiscord.waiting import wait_until
from localdiscord.world.interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    Interaction,
    InteractionHandle,
    command_option,
    interaction_payload,
    nest_options,
)
from localdiscord.world.models import Channel, Member, Message

type JSON = dict[str, Any]


class CommandNotRegisteredError(LookupError):
    """The bot has not registered a command with that name (globally or in the guild)."""


def _leaf(name: str, value: object, resolved: JSON, cdn: Cdn, channel: Channel, *, focused: bool = False) -> JSON:
    if isinstance(value, Upload):
        attachment = cdn.store(channel.id, value, ephemeral=True)
        resolved.setdefault("attachments", {})[attachment["id"]] = attachment
        return command_option(name, attachment["id"], 11, focused=focused)
    if isinstance(value, Member):
        resolved.setdefault("users", {})[str(value.user.id)] = value.user.payload()
        resolved.setdefault("members", {})[str(value.user.id)] = value.payload(with_user=False)
        return command_option(name, str(value.user.id), 6, focused=focused)
    if isinstance(value, Channel):
        resolved.setdefault("channels", {})[str(value.id)] = value.payload() | {"permissions": str((1 << 41) - 1)}
        return command_option(name, str(value.id), 7, focused=focused)
    return command_option(name, value, focused=focused)


class InteractionDriver:
    """``fake.interactions``: what a member does to the bot's commands, delivered as INTERACTION_CREATE."""

    def __init__(self, core: Core, hub: GatewayHub) -> None:
        self.core = core
        self.hub = hub

    async def deliver(
        self, kind: int, member: Member, channel: Channel, data: JSON, message: Message | None = None
    ) -> InteractionHandle:
        """Deliver an interaction with `data` exactly as given (no typing, no checks): what `invoke`, `autocomplete`
        and `click` build on, and what a test of hostile payloads sends directly."""
        world = self.core.world
        interaction = Interaction(
            world.ids.next(), Interaction.new_token(), kind, channel.guild_id, channel.id, member, {}
        )
        interaction.component_message = message
        guild_locale = world.guilds[channel.guild_id].preferred_locale
        interaction.payload = interaction_payload(interaction, world.application_id, data, guild_locale)
        self.core.interactions[interaction.id] = interaction
        sessions = self.hub.sessions_for(channel.guild_id)
        # A bot that restarted has a new session while its old one waits (detached) to die: Discord delivers
        # interactions to the session that is connected, the newest one when several are.
        connected = [s for s in sessions if s.conn is not None]
        if connected or sessions:
            await (connected[-1] if connected else sessions[0]).dispatch("INTERACTION_CREATE", interaction.payload)
        return InteractionHandle(interaction)

    def _command_data(
        self,
        name: str,
        channel: Channel,
        options: Mapping[str, object] | None,
        subcommand: str | None,
        group: str | None,
        focused: str | None = None,
    ) -> JSON:
        command = self.core.commands.find(channel.guild_id, name)
        if command is None:
            raise CommandNotRegisteredError(name)
        resolved: JSON = {}
        cdn = self.core.cdn
        leaves = [_leaf(k, v, resolved, cdn, channel, focused=k == focused) for k, v in (options or {}).items()]
        data: JSON = {"id": command["id"], "name": name, "type": 1, "options": nest_options(leaves, subcommand, group)}
        if command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return data

    async def wait_until_command(self, name: str, *, guild_id: int | None = None, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until the bot has registered ``name`` (globally or in ``guild_id``)."""
        await wait_until(lambda: self.core.commands.find(guild_id, name), timeout, f"command /{name}")

    async def invoke(
        self,
        name: str,
        *,
        member: Member,
        channel: Channel,
        options: Mapping[str, object] | None = None,
        subcommand: str | None = None,
        group: str | None = None,
    ) -> InteractionHandle:
        """Run ``/name [group] [subcommand] option:value…`` as ``member`` in ``channel``."""
        data = self._command_data(name, channel, options, subcommand, group)
        return await self.deliver(APPLICATION_COMMAND, member, channel, data, None)

    async def autocomplete(  # noqa: PLR0913 (keyword-only: what a member typed, where, into which option)
        self,
        name: str,
        *,
        member: Member,
        channel: Channel,
        focused: str,
        options: Mapping[str, object],
        subcommand: str | None = None,
        group: str | None = None,
    ) -> InteractionHandle:
        """Type into option ``focused``; await :meth:`InteractionHandle.choices`."""
        data = self._command_data(name, channel, options, subcommand, group, focused)
        return await self.deliver(AUTOCOMPLETE, member, channel, data, None)

    async def click(
        self,
        message: Message,
        custom_id: str,
        *,
        member: Member,
        component_type: int = 2,
        values: list[str] | None = None,
    ) -> InteractionHandle:
        """Click a button (2) or choose ``values`` in a select menu (3, 5–8) on ``message``."""
        channel = self.core.world.channels[message.channel_id]
        data: JSON = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = values
        return await self.deliver(MESSAGE_COMPONENT, member, channel, data, message)
