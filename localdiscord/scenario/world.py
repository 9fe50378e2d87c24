"""Scenario API: build guilds, channels, roles and members; move members in voice; read messages.

Everything built here is dispatched to the bot's connected gateway sessions as Discord would (GUILD_CREATE,
CHANNEL_CREATE, GUILD_ROLE_CREATE, GUILD_MEMBER_ADD, VOICE_STATE_UPDATE), so a bot that is already online sees it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from localdiscord.fake_state import Core
from localdiscord.gateway.hub import GatewayHub
from localdiscord.voice.router import VoiceRouter
from localdiscord.waiting import wait_until
from localdiscord.world.models import CATEGORY, TEXT, VOICE, Channel, Guild, Member, Message, Overwrite, Role


class WorldBuilder:
    """``fake.world``: the guilds, channels, roles and members of a scenario, and the messages sent to them."""

    def __init__(self, core: Core, hub: GatewayHub, router: VoiceRouter) -> None:
        self.core = core
        self.hub = hub
        self.router = router

    async def create_guild(self, name: str = "guild", *, preferred_locale: str = "en-US") -> Guild:
        """A guild with @everyone, an owner and the bot as members; dispatched if the bot is online."""
        guild = self.core.world.add_guild(name)
        guild.preferred_locale = preferred_locale
        for session in self.hub.sessions_for(guild.id):
            await session.dispatch("GUILD_CREATE", guild.create_payload())
        return guild

    async def _channel(self, guild: Guild, name: str, kind: int, parent: Channel | None) -> Channel:
        channel = self.core.world.add_channel(guild, name, kind, parent.id if parent else None)
        await self.hub.dispatch_guild(guild.id, "CHANNEL_CREATE", channel.payload())
        return channel

    async def create_text_channel(self, guild: Guild, name: str = "general", parent: Channel | None = None) -> Channel:
        return await self._channel(guild, name, TEXT, parent)

    async def create_voice_channel(self, guild: Guild, name: str = "voice", parent: Channel | None = None) -> Channel:
        return await self._channel(guild, name, VOICE, parent)

    async def create_category(self, guild: Guild, name: str = "category") -> Channel:
        return await self._channel(guild, name, CATEGORY, None)

    async def create_role(self, guild: Guild, name: str, permissions: int = 0) -> Role:
        role = Role(self.core.world.ids.next(), name, permissions, position=len(guild.roles))
        guild.roles[role.id] = role
        await self.hub.dispatch_guild(
            guild.id, "GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": role.payload()}
        )
        return role

    async def set_role_permissions(self, guild: Guild, role: Role, permissions: int) -> None:
        """Change a role's permissions (``guild.roles[guild.id]`` is @everyone); GUILD_ROLE_UPDATE."""
        role.permissions = permissions
        await self.hub.dispatch_guild(
            guild.id, "GUILD_ROLE_UPDATE", {"guild_id": str(guild.id), "role": role.payload()}
        )

    async def set_overwrite(
        self, channel: Channel, target_id: int, *, member: bool = False, allow: int = 0, deny: int = 0
    ) -> None:
        """Set (replace) the channel's overwrite for a role, or a member if ``member``; CHANNEL_UPDATE."""
        kind = Overwrite.MEMBER if member else Overwrite.ROLE
        kept = [o for o in channel.overwrites if (o.type, o.id) != (kind, target_id)]
        channel.overwrites = [*kept, Overwrite(target_id, kind, allow, deny)]
        await self.hub.dispatch_guild(channel.guild_id, "CHANNEL_UPDATE", channel.payload())

    async def wait_for_voice_status(
        self,
        channel: Channel,
        status: str | None,
        timeout: float = 10.0,  # noqa: ASYNC109
    ) -> None:
        """Until the voice channel's status (set with ``PUT /channels/{id}/voice-status``) is ``status``."""

        def probe() -> bool:
            return channel.status == status

        def what() -> str:
            return f"status {status!r} on #{channel.name} (it is {channel.status!r})"

        await wait_until(probe, timeout, what)

    async def set_preferred_locale(self, guild: Guild, locale: str) -> None:
        """The guild's community language changes (server settings): GUILD_UPDATE."""
        guild.preferred_locale = locale
        await self.hub.dispatch_guild(guild.id, "GUILD_UPDATE", guild.update_payload())

    def set_locale(self, member: Member, locale: str) -> None:
        """The member switches their Discord client's language (no event: later interactions carry it)."""
        member.user.locale = locale

    async def create_member(
        self, guild: Guild, name: str, roles: Iterable[Role] = (), *, locale: str = "en-US"
    ) -> Member:
        """A member whose Discord client speaks `locale` (what their interactions carry as `locale`)."""
        user = self.core.world.add_user(name)
        user.locale = locale
        member = Member(user, guild.id, [r.id for r in roles])
        guild.members[user.id] = member
        await self.hub.dispatch_guild(guild.id, "GUILD_MEMBER_ADD", member.payload() | {"guild_id": str(guild.id)})
        return member

    async def join_voice(self, member: Member, channel: Channel, *, self_deaf: bool = False) -> None:
        """Put a simulated member into a voice channel (or move it there, or change its `self_deaf` there); it
        listens to the call."""
        guild = self.core.world.guilds[channel.guild_id]
        await self.router.member_voice(guild, member.user.id, channel.id, self_deaf=self_deaf)

    async def leave_voice(self, member: Member) -> None:
        await self.router.member_voice(self.core.world.guilds[member.guild_id], member.user.id, None)

    def voice_channel_of(self, guild: Guild, user_id: int) -> int | None:
        state = guild.voice_states.get(user_id)
        return state.channel_id if state else None

    def messages(self, channel: Channel, *, include_ephemeral: bool = False) -> list[Message]:
        """Messages in a channel, oldest first, with their edit ``history``; deleted ones excluded."""
        return [
            m
            for m in self.core.world.messages.values()
            if m.channel_id == channel.id and not m.deleted and (include_ephemeral or not m.ephemeral)
        ]

    async def wait_for_message(
        self,
        channel: Channel,
        predicate: Callable[[Message], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> Message:
        def probe() -> Message | None:
            found = [m for m in self.messages(channel, include_ephemeral=True) if predicate is None or predicate(m)]
            return found[-1] if found else None

        return await wait_until(probe, timeout, f"a message in #{channel.name}")
