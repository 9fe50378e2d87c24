"""Reading and editing the queue: `/queue`, `/nowplaying`, `/history`, `/shuffle`, `/remove`, `/move`, `/clear`.

Edits go straight to the queue store's atomic scripts; the owner reads the queue when it advances, so no command is
needed.
"""

from __future__ import annotations

from collections.abc import Callable

from gateway.commands.admission import Gate
from gateway.commands.invocation import Invocation
from gateway.commands.parsing import parse_page, parse_position
from gateway.commands.permissions import Access, may_remove
from gateway.wording import formatting
from gateway.wording.formatting import PAGE_SIZE
from gateway.wording.language import mark, number, tr, trn
from gateway.wording.reply import Reply
from shared.errors import InvalidInputError, PermissionDeniedError
from shared.player_store import PlayerStore
from shared.queue_store import QueueStore


class QueueActions:
    def __init__(self, gate: Gate, queue: QueueStore, players: PlayerStore, clock: Callable[[], int]) -> None:
        self._gate = gate
        self._queue = queue
        self._players = players
        self._clock = clock
        """Wall-clock milliseconds (the progress bar of `/nowplaying`)."""

    async def show(self, invocation: Invocation, raw_page: int | None) -> Reply:
        page_index = parse_page(raw_page)
        admission = await self._gate.admit(invocation, Access.READ, mark("Viewing the queue"))
        page = await self._queue.page(invocation.guild_id, page_index * PAGE_SIZE, PAGE_SIZE)
        return formatting.queue_page(admission.state, page, page_index)

    async def now_playing(self, invocation: Invocation) -> Reply:
        admission = await self._gate.admit(invocation, Access.READ, mark("Viewing the player"))
        if admission.state.now_playing is None:
            return Reply(content=tr("Nothing is playing right now. Add music with `/play`."), ephemeral=True)
        queued = await self._queue.length(invocation.guild_id)
        reply = formatting.now_playing(admission.state, self._clock(), queued=queued)
        return Reply(card=reply.card)

    async def history(self, invocation: Invocation, raw_page: int | None) -> Reply:
        page_index = parse_page(raw_page)
        await self._gate.admit(invocation, Access.READ, mark("Viewing the history"))
        page = await self._players.history(invocation.guild_id, page_index * PAGE_SIZE, PAGE_SIZE)
        return formatting.history_page(page, page_index)

    async def shuffle(self, invocation: Invocation) -> Reply:
        await self._gate.admit(invocation, Access.CONTROL, mark("Shuffling"))
        count = await self._queue.shuffle(invocation.guild_id)
        if count < 2:
            raise InvalidInputError(tr("There is not enough in the queue to shuffle."))
        return Reply(content=trn("🔀 Shuffled {count} track.", "🔀 Shuffled {count} tracks.", count))

    async def remove(self, invocation: Invocation, raw_position: int) -> Reply:
        index = parse_position(raw_position)
        admission = await self._gate.admit(invocation, Access.CONTROL, mark("Removing tracks"))
        page = await self._queue.page(invocation.guild_id, index, 1)
        if not page.items:
            raise InvalidInputError(_no_track(raw_position, page.total))
        item = page.items[0]
        if not may_remove(invocation.actor, admission.settings, item.requester_id):
            dj_role = admission.settings.dj_role_id
            text = tr(
                "Removing other members' tracks needs the DJ role {role} or Manage Server.", role=f"<@&{dj_role}>"
            )
            raise PermissionDeniedError(text)
        removed = await self._queue.remove_uid(invocation.guild_id, item.uid)
        if removed is None:
            raise InvalidInputError(tr("The queue changed in the meantime; check `/queue` and try again."))
        return Reply(content=tr("🗑 Removed {track}.", track=formatting.track_link(removed[1].track)))

    async def move(self, invocation: Invocation, raw_from: int, raw_to: int) -> Reply:
        from_index = parse_position(raw_from, name="from")
        to_index = parse_position(raw_to, name="to")
        await self._gate.admit(invocation, Access.DESTRUCTIVE, mark("Moving tracks"))
        length = await self._queue.length(invocation.guild_id)
        if from_index >= length:
            raise InvalidInputError(_no_track(raw_from, length))
        moved = await self._queue.move(invocation.guild_id, from_index, min(to_index, max(0, length - 1)))
        if moved is None:
            raise InvalidInputError(tr("The queue changed in the meantime; check `/queue` and try again."))
        return Reply(
            content=tr(
                "↕️ Moved {track} to position {position}.",
                track=formatting.track_link(moved.track),
                position=min(raw_to, length),
            )
        )

    async def clear(self, invocation: Invocation) -> Reply:
        await self._gate.admit(invocation, Access.DESTRUCTIVE, mark("Clearing the queue"))
        removed = await self._queue.clear(invocation.guild_id)
        return Reply(content=trn("🧹 Cleared {count} queued track.", "🧹 Cleared {count} queued tracks.", removed))


def _no_track(position: int, queued: int) -> str:
    return tr("There is no track at position {position} ({queued} queued).", position=position, queued=number(queued))
