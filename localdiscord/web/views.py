"""What the page shows, as JSON: a guild (channels, members, voice), the registered commands and the messages.

Ephemeral messages are shown only to the member whose interaction they answer, as in Discord. Everything is sent as
data; the page renders it as text (never as HTML).
"""

from __future__ import annotations

from typing import Any

from localdiscord.fake_state import Core
from localdiscord.world.models import LOADING, Guild, Message

type JSON = dict[str, Any]


def guild_view(core: Core, guild: Guild) -> JSON:
    roles = guild.roles
    members = [
        {
            "id": str(m.user.id),
            "name": m.nick or m.user.username,
            "bot": m.user.bot,
            "roles": [roles[r].name for r in m.roles if r in roles],
            "voice": str(state.channel_id)
            if (state := guild.voice_states.get(m.user.id)) and state.channel_id
            else None,
        }
        for m in guild.members.values()
        if m.user.id != guild.owner_id
    ]
    channels = [{"id": str(c.id), "name": c.name, "type": c.type, "status": c.status} for c in guild.channels.values()]
    return {
        "id": str(guild.id),
        "name": guild.name,
        "bot_id": str(core.world.bot.id),
        "channels": channels,
        "members": members,
        "commands": registered_commands(core, guild.id),
    }


def registered_commands(core: Core, guild_id: int) -> list[JSON]:
    """The chat-input commands a member of the guild sees: the guild's own, then global ones of other names."""
    found: dict[str, JSON] = {}
    for command in core.commands.listing(guild_id) + core.commands.listing(None):
        if command.get("type", 1) == 1:
            found.setdefault(str(command["name"]), command)
    return sorted(found.values(), key=lambda c: str(c["name"]))


def _visible_to(core: Core, message: Message, viewer: int) -> bool:
    if not message.ephemeral:
        return True
    interaction = core.interactions.get(message.interaction_id or 0)
    return interaction is not None and interaction.member.user.id == viewer


def _invoked(core: Core, message: Message) -> JSON | None:
    interaction = core.interactions.get(message.interaction_id or 0)
    if interaction is None:
        return None
    data = interaction.payload.get("data") or {}
    name = data.get("name") or data.get("custom_id") or ""
    member = interaction.member
    return {"name": str(name), "member": member.nick or member.user.username, "type": interaction.type}


def message_view(core: Core, message: Message) -> JSON:
    return {
        "id": str(message.id),
        "author": message.author.username,
        "bot": message.author.bot,
        "content": message.content,
        "embeds": message.embeds,
        "components": message.components,
        "ephemeral": message.ephemeral,
        "loading": bool(message.flags & LOADING),
        "edited": message.edited,
        "version": len(message.history),
        "invoked": _invoked(core, message),
    }


def messages_view(core: Core, channel_id: int, viewer: int, limit: int = 100) -> list[JSON]:
    """The channel's last ``limit`` messages the viewer can see, oldest first."""
    shown = [
        m
        for m in core.world.messages.values()
        if m.channel_id == channel_id and not m.deleted and _visible_to(core, m, viewer)
    ]
    return [message_view(core, m) for m in shown[-limit:]]
