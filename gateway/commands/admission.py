"""The checks every command passes before it does anything: rate limit, guild settings, permissions."""

from __future__ import annotations

import math
from dataclasses import dataclass

from gateway.commands.invocation import Invocation
from gateway.commands.permissions import Access, VoiceSituation, check
from gateway.stores.rate import RateLimitStore
from gateway.wording.language import tr
from shared.errors import InvalidInputError, RateLimitedError
from shared.models import GuildSettings, PlayerState
from shared.player_store import PlayerStore
from shared.queue_store import QueueStore
from shared.settings_store import SettingsStore


@dataclass(frozen=True, slots=True)
class Admission:
    settings: GuildSettings
    state: PlayerState
    """The stored player state, or a fresh one when the guild never had a player."""
    queued: int | None
    """The queue length, loaded only for summoning."""

    def situation(self, invocation: Invocation) -> VoiceSituation:
        busy = self.state.now_playing is not None or bool(self.queued)
        return VoiceSituation(invocation.bot_channel_id, busy)


class Gate:
    def __init__(self, rate: RateLimitStore, settings: SettingsStore, players: PlayerStore, queue: QueueStore) -> None:
        self._rate = rate
        self._settings = settings
        self._players = players
        self._queue = queue

    async def rate(self, invocation: Invocation) -> None:
        decision = await self._rate.hit(invocation.guild_id, invocation.actor.user_id)
        if not decision.allowed:
            seconds = max(1, math.ceil(decision.retry_after_ms / 1000))
            raise RateLimitedError(tr("You're going a bit fast — try again in {seconds} s.", seconds=seconds))

    async def admit(self, invocation: Invocation, access: Access, what: str) -> Admission:
        """Count the command against the member's rate, load what the rules need, apply them."""
        await self.rate(invocation)
        settings = await self._settings.get(invocation.guild_id)
        state = await self._players.load(invocation.guild_id) or PlayerState()
        queued = await self._queue.length(invocation.guild_id) if access is Access.SUMMON else None
        admission = Admission(settings, state, queued)
        check(access, invocation.actor, admission.situation(invocation), settings, what)
        return admission


def require_playing(state: PlayerState) -> None:
    if state.now_playing is None:
        raise InvalidInputError(tr("Nothing is playing right now."))
