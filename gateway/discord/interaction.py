"""The nextcord side of an interaction: who invoked it, and how replies, defers and edits reach Discord."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Final

import nextcord

from gateway.commands.answering import run_interaction
from gateway.commands.invocation import Invocation, Responder
from gateway.commands.permissions import Actor
from gateway.discord.listeners import hearing_in
from gateway.discord.render import edit_kwargs, send_kwargs
from gateway.wording.language import mark, tr
from gateway.wording.reply import Reply
from shared.observability import InteractionOutcome

_log: Final = logging.getLogger(__name__)
REST_TIMEOUT_S: Final = 10.0
GUILD_ONLY: Final = mark("encore works in servers only.")
OUTCOME: Final = "encore_outcome"
"""Key in `interaction.attached` (nextcord's per-interaction dict) under which `handle` leaves the outcome for the
client's entry point, which counts every interaction once."""

Interaction = nextcord.Interaction[Any]
Action = Callable[[Invocation, Responder], Awaitable[Reply]]


class InteractionAck:
    """Answers one interaction exactly once (a lock makes defer and the timeout answer mutually exclusive).

    Refusals reach only the member who asked: an ephemeral reply to an interaction deferred publicly (or already
    answered publicly, e.g. "still working") deletes that public message and goes out as an ephemeral follow-up.
    The deletion comes first: Discord takes the first follow-up sent while a deferred reply still loads as that
    reply, with the defer's visibility.
    """

    def __init__(self, interaction: Interaction) -> None:
        self._interaction = interaction
        self._lock = asyncio.Lock()
        self._acknowledged = False
        self._public_original = False

    @property
    def acknowledged(self) -> bool:
        return self._acknowledged

    async def defer(self, *, ephemeral: bool = False) -> None:
        async with self._lock:
            if self._acknowledged:
                return
            async with asyncio.timeout(REST_TIMEOUT_S):
                await self._interaction.response.defer(ephemeral=ephemeral)
            self._acknowledged = True
            self._public_original = not ephemeral

    async def answer(self, reply: Reply) -> bool:
        async with self._lock:
            if not self._acknowledged:
                await self._send(reply)
                self._acknowledged = True
                return True
        await self.edit(reply)
        return True

    async def answer_if_unacknowledged(self, reply: Reply) -> bool:
        async with self._lock:
            if self._acknowledged:
                return False
            await self._send(reply)
            self._acknowledged = True
            return True

    async def edit(self, reply: Reply) -> None:
        if reply.ephemeral and self._public_original:
            await self._replace_privately(reply)
            return
        async with asyncio.timeout(REST_TIMEOUT_S):
            await self._interaction.edit_original_message(**edit_kwargs(reply))

    async def _replace_privately(self, reply: Reply) -> None:
        self._public_original = False
        async with asyncio.timeout(REST_TIMEOUT_S):
            try:
                await self._interaction.delete_original_message()
            except nextcord.NotFound:
                _log.debug("the public reply was gone already", extra={"guild_id": self._interaction.guild_id})
            await self._interaction.followup.send(**send_kwargs(reply), ephemeral=True)

    async def _send(self, reply: Reply) -> None:
        async with asyncio.timeout(REST_TIMEOUT_S):
            await self._interaction.response.send_message(**send_kwargs(reply), ephemeral=reply.ephemeral)
        self._public_original = not reply.ephemeral


def actor_of(member: nextcord.Member) -> Actor:
    voice = member.voice
    channel = voice.channel if voice is not None else None
    # Guild-level permissions from the cached roles (and ownership); Manage Server is not a channel permission.
    manage = member.guild_permissions.manage_guild
    return Actor(
        user_id=member.id,
        role_ids=frozenset(role.id for role in member.roles),
        manage_guild=manage,
        voice_channel_id=channel.id if channel is not None else None,
    )


def bot_channel(guild: nextcord.Guild | None) -> nextcord.abc.GuildChannel | None:
    me = guild.me if guild is not None else None
    voice = me.voice if me is not None else None
    return voice.channel if voice is not None else None


def bot_channel_id(guild: nextcord.Guild | None) -> int | None:
    channel = bot_channel(guild)
    return channel.id if channel is not None else None


def invocation_of(interaction: Interaction) -> Invocation | None:
    """None outside a guild (commands are registered for guilds only, but DMs can still send components)."""
    member = interaction.user
    if interaction.guild_id is None or not isinstance(member, nextcord.Member):
        return None
    voice = bot_channel(interaction.guild)
    invocation = Invocation(
        guild_id=interaction.guild_id,
        actor=actor_of(member),
        text_channel_id=interaction.channel_id,
        bot_channel_id=voice.id if voice is not None else None,
        listeners=hearing_in(voice),
    )
    _log.debug(
        "interaction by %s in voice %s; bot in %s",
        member.id,
        invocation.actor.voice_channel_id,
        invocation.bot_channel_id,
        extra={"guild_id": interaction.guild_id},
    )
    return invocation


def age_s(interaction: Interaction) -> float:
    return max(0.0, (datetime.now(UTC) - interaction.created_at).total_seconds())


async def handle(interaction: Interaction, what: str, action: Action) -> None:
    """Run one command or click through the edge; failures to reach Discord are logged, never raised."""
    ack = InteractionAck(interaction)
    invocation = invocation_of(interaction)
    try:
        if invocation is None:
            interaction.attached[OUTCOME] = "refused"
            await ack.answer(Reply.error(tr(GUILD_ONLY)))
            return

        async def handler(out: Responder) -> Reply:
            assert invocation is not None
            return await action(invocation, out)

        guild_id, age = invocation.guild_id, age_s(interaction)
        interaction.attached[OUTCOME] = await run_interaction(handler, ack, what=what, guild_id=guild_id, age_s=age)
    except (nextcord.HTTPException, TimeoutError):
        interaction.attached[OUTCOME] = "error"
        extra = {"guild_id": interaction.guild_id}
        _log.warning("%s: could not answer the interaction", what, exc_info=True, extra=extra)


def outcome(interaction: Interaction) -> InteractionOutcome:
    """What `handle` found (ok when no handler ran: autocomplete, a click on a component that is not encore's)."""
    found = interaction.attached.get(OUTCOME)
    return found if found in ("ok", "refused", "error") else "ok"
