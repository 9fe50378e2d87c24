"""`/autoplay on|off`: the guild's radio setting (`GuildSettings.autoplay`), which the owner acts on (worker/player/
radio.py). Turning it off also takes the autoplayed items out of the queue, so the radio stops with the members'
tracks; turning it on adds nothing by itself: the owner looks when the queue is about to run out."""

from __future__ import annotations

from gateway.commands.admission import Gate
from gateway.commands.invocation import Invocation
from gateway.commands.permissions import Access
from gateway.wording import autoplay as words
from gateway.wording.language import mark, tr
from gateway.wording.reply import Reply
from shared.errors import InvalidInputError
from shared.queue_store import QueueStore
from shared.settings_store import SettingsStore


def parse_mode(raw: str) -> bool:
    mode = raw.strip().lower()
    if mode not in words.MODES:
        raise InvalidInputError(tr(words.BAD_MODE))
    return mode == "on"


class AutoplayActions:
    """Who may switch it: whoever may control playback (a listener in the bot's channel, like `/loop`)."""

    def __init__(self, gate: Gate, settings: SettingsStore, queue: QueueStore) -> None:
        self._gate = gate
        self._settings = settings
        self._queue = queue

    async def switch(self, invocation: Invocation, raw_mode: str) -> Reply:
        on = parse_mode(raw_mode)
        await self._gate.admit(invocation, Access.CONTROL, mark("Changing autoplay"))
        await self._settings.update(invocation.guild_id, autoplay=on)
        removed = 0 if on else await self._queue.remove_radio(invocation.guild_id)
        return Reply(content=words.switched(on, removed))
