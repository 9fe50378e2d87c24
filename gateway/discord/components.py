"""Routes clicks on encore's buttons by custom id (so they keep working after a restart): player buttons become
the same actions as the slash commands, with the same checks; search picks queue the chosen result."""

from __future__ import annotations

from typing import Final

import nextcord

from gateway.commands.control import ControlActions
from gateway.commands.invocation import Invocation, Responder
from gateway.commands.play import PlayActions
from gateway.commands.queue import QueueActions
from gateway.discord.interaction import Interaction, handle
from gateway.wording import custom_ids
from gateway.wording.custom_ids import PlayerButton, SearchPick
from gateway.wording.language import mark, tr
from gateway.wording.reply import Reply
from shared.errors import InvalidInputError
from shared.player_store import PlayerStore

COMPONENT: Final = nextcord.InteractionType.component
STALE: Final = mark("This button is no longer available.")


class ComponentRouter:
    def __init__(self, play: PlayActions, control: ControlActions, queue: QueueActions, players: PlayerStore) -> None:
        self._play = play
        self._control = control
        self._queue = queue
        self._players = players

    async def on_interaction(self, interaction: Interaction) -> None:
        """Handle a component interaction; one whose custom id is not (or no longer) understood gets an ephemeral
        error: Discord only sends clicks on encore's own messages, so every click deserves an answer."""
        if interaction.type is not COMPONENT:
            return
        data: object = interaction.data
        custom_id = data.get("custom_id") if isinstance(data, dict) else None
        parsed = custom_ids.parse(custom_id) if isinstance(custom_id, str) else None
        if parsed is None:

            async def unknown(_: Invocation, __: Responder) -> Reply:
                raise InvalidInputError(tr(STALE))

            await handle(interaction, "component", unknown)
        elif isinstance(parsed, SearchPick):
            pick = parsed

            async def picked(invocation: Invocation, out: Responder) -> Reply:
                return await self._play.pick(invocation, pick, out)

            await handle(interaction, "search pick", picked)
        elif isinstance(parsed, PlayerButton):
            button = parsed

            async def clicked(invocation: Invocation, _: Responder) -> Reply:
                reply = await self.button(invocation, button)
                return Reply(content=reply.content, card=reply.card, ephemeral=True)

            await handle(interaction, f"button {button.value}", clicked)

    async def button(self, invocation: Invocation, button: PlayerButton) -> Reply:
        if button is PlayerButton.SKIP:
            return await self._control.skip(invocation, 1)
        if button is PlayerButton.LOOP:
            return await self._control.loop(invocation, None)
        if button is PlayerButton.SHUFFLE:
            return await self._queue.shuffle(invocation)
        if button is PlayerButton.STOP:
            return await self._control.stop(invocation)
        state = await self._players.load(invocation.guild_id)
        if state is not None and state.paused:
            return await self._control.resume(invocation)
        return await self._control.pause(invocation)
