"""`/playlist save|load|list|show|add|remove|rename|delete`: the member's and the server's saved playlists.

Reading (list, show) and loading are open to everyone (loading is a `/play`: it summons the bot and goes through
`PlayActions.play_saved`, the resolve job's playlist path); changing the server's playlists needs the DJ role
(`playlist_rules`). Replies are for the member who asked (ephemeral), except what `load` queued, which the channel
sees as it sees a `/play`. Every change is one Redis script (`PlaylistStore`) that checks the limits and that the
playlist is still the one read; a refusal changes nothing. `import` and `export` live in `playlist_transfer.py`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from gateway.commands.admission import Admission, Gate
from gateway.commands.invocation import Invocation, Responder
from gateway.commands.parsing import parse_page, parse_query
from gateway.commands.permissions import Access
from gateway.commands.play import PlayActions
from gateway.commands.playlist_rules import (
    Scope,
    owner_for,
    owner_of,
    parse_name,
    parse_position,
    parse_scope,
    require_change,
    require_fits,
)
from gateway.stores.jobs import Jobs
from gateway.stores.playlists import PlaylistStore, Write, Written
from gateway.wording import playlists as words
from gateway.wording.language import mark, tr
from gateway.wording.reply import Reply
from shared.errors import InvalidInputError
from shared.models import PlayerState, Track
from shared.playlists import ImportRequest, ImportStatus, PlaylistMeta, PlaylistOwner
from shared.queue_store import QueueStore
from shared.settings import GatewaySettings


@dataclass(frozen=True, slots=True)
class Target:
    """One playlist a command names: its scope, owner and stored meta."""

    scope: Scope
    owner: PlaylistOwner
    meta: PlaylistMeta


def playing_and_queued(state: PlayerState, queued: list[Track]) -> list[Track]:
    """What `save` and `export` take from the player: the track playing, then the queue in order."""
    now = [state.now_playing.track] if state.now_playing is not None else []
    return now + queued


def refused(written: Written, name: str, scope: Scope, settings: GatewaySettings) -> str | None:
    """The words of a change the store refused, None when it was made."""
    match written.outcome:
        case Write.DONE:
            return None
        case Write.NAME_TAKEN:
            return words.name_taken(name, scope.value)
        case Write.TOO_MANY_PLAYLISTS:
            return words.too_many_playlists(settings.playlists_per_owner, scope.value)
        case Write.TOO_MANY_ENTRIES:
            return words.too_many_entries(written.length or 0, settings.playlist_entries)
        case Write.NO_ENTRY | Write.CHANGED:
            return tr(words.CHANGED)


class PlaylistActions:
    def __init__(  # noqa: PLR0913 - one collaborator each, built once by gateway.app
        self,
        settings: GatewaySettings,
        gate: Gate,
        store: PlaylistStore,
        queue: QueueStore,
        play: PlayActions,
        jobs: Jobs,
        clock: Callable[[], int],
    ) -> None:
        self._settings = settings
        self._gate = gate
        self._store = store
        self._queue = queue
        self._play = play
        self._jobs = jobs
        self._clock = clock

    async def save(self, invocation: Invocation, raw_name: str, raw_scope: str | None) -> Reply:
        name, scope = parse_name(raw_name), parse_scope(raw_scope)
        admission = await self.changing(invocation, scope)
        queued = [item.track for item in await self._queue.all_items(invocation.guild_id)]
        tracks = playing_and_queued(admission.state, queued)
        if not tracks:
            raise InvalidInputError(tr(words.NOTHING_TO_SAVE))
        require_fits(len(tracks), self._settings.playlist_entries)
        await self.create(invocation, scope, name, tracks)
        return words.saved(name, len(tracks), scope.value)

    async def create(self, invocation: Invocation, scope: Scope, name: str, tracks: list[Track]) -> None:
        """A new playlist of `scope` (the caller checked the member may change it and the entry limit)."""
        meta = self._store.new_meta(name, invocation.actor.user_id, self._clock())
        limit = self._settings.playlists_per_owner
        written = await self._store.create(owner_of(scope, invocation), meta, tracks, max_playlists=limit)
        self._raise_refused(written, name, scope)

    async def load(
        self, invocation: Invocation, raw_name: str, raw_scope: str | None, raw_when: str | None, out: Responder
    ) -> Reply:
        target = await self.target(invocation, raw_name, raw_scope)
        tracks = await self._store.entries(target.owner, target.meta)
        if not tracks:
            raise InvalidInputError(words.empty(target.meta.name))
        return await self._play.play_saved(invocation, target.meta.name, tuple(tracks), raw_when, out)

    async def listing(self, invocation: Invocation, raw_scope: str | None) -> Reply:
        scope = parse_scope(raw_scope)
        await self._gate.admit(invocation, Access.READ, mark("Listing playlists"))
        summaries = await self._store.summaries(owner_of(scope, invocation))
        entries = [(summary.meta.name, summary.entries) for summary in summaries]
        return words.listing(scope.value, entries, self._settings.playlists_per_owner)

    async def show(self, invocation: Invocation, raw_name: str, raw_scope: str | None, raw_page: int | None) -> Reply:
        page_index = parse_page(raw_page)
        await self._gate.admit(invocation, Access.READ, mark("Showing playlists"))
        target = await self.target(invocation, raw_name, raw_scope)
        total = await self._store.length(target.owner, target.meta)
        offset = page_index * words.PAGE_SIZE
        tracks = await self._store.entries(target.owner, target.meta, offset, words.PAGE_SIZE)
        return words.page(target.meta.name, tracks, page_index, total)

    async def add(
        self, invocation: Invocation, raw_name: str, raw_query: str | None, raw_scope: str | None, out: Responder
    ) -> Reply:
        """Add the track playing, or what a link or search finds (a playlist link adds all its tracks)."""
        query = parse_query(raw_query) if raw_query is not None else None
        target = await self.target(invocation, raw_name, raw_scope)
        admission = await self.changing(invocation, target.scope)
        if query is None:
            if admission.state.now_playing is None:
                raise InvalidInputError(tr(words.NOTHING_PLAYING))
            tracks: list[Track] = [admission.state.now_playing.track]
        else:
            await out.defer(ephemeral=True)
            tracks = await self.read_link(query)
        limit = self._settings.playlist_entries
        written = await self._store.append(target.owner, target.meta, tracks, max_entries=limit)
        if written.outcome is Write.TOO_MANY_ENTRIES:
            raise InvalidInputError(words.too_many_entries((written.length or 0) + len(tracks), limit))
        self._raise_refused(written, target.meta.name, target.scope)
        return words.added(target.meta.name, tracks, written.length or 0)

    async def read_link(self, link: str) -> list[Track]:
        """The tracks a link or search finds, through the worker's import job (its guard, its playlist path)."""
        request = ImportRequest(
            link=link, max_entries=self._settings.playlist_entries, max_bytes=self._settings.playlist_file_bytes
        )
        result = await self._jobs.import_playlist(request, uuid.uuid4().hex, self._settings.resolve_wait_s)
        if result is None:
            raise InvalidInputError(tr(words.TOO_SLOW))
        if result.status is not ImportStatus.FOUND:
            limits = self._settings.playlist_entries, self._settings.playlist_file_bytes
            raise InvalidInputError(words.import_failure(result, *limits))
        return list(result.tracks)

    async def remove(self, invocation: Invocation, raw_name: str, position: int, raw_scope: str | None) -> Reply:
        target = await self.target(invocation, raw_name, raw_scope)
        await self.changing(invocation, target.scope)
        index = parse_position(position, await self._store.length(target.owner, target.meta))
        written = await self._store.remove(target.owner, target.meta, index)
        self._raise_refused(written, target.meta.name, target.scope)
        return words.removed(target.meta.name, written.removed)

    async def rename(self, invocation: Invocation, raw_name: str, raw_new: str, raw_scope: str | None) -> Reply:
        new_name = parse_name(raw_new)
        target = await self.target(invocation, raw_name, raw_scope)
        await self.changing(invocation, target.scope)
        written = await self._store.rename(target.owner, target.meta, new_name)
        self._raise_refused(written, new_name, target.scope)
        return words.renamed(target.meta.name, new_name)

    async def delete(self, invocation: Invocation, raw_name: str, raw_scope: str | None) -> Reply:
        target = await self.target(invocation, raw_name, raw_scope)
        await self.changing(invocation, target.scope)
        written = await self._store.delete(target.owner, target.meta)
        self._raise_refused(written, target.meta.name, target.scope)
        return words.deleted(target.meta.name)

    async def names(self, guild_id: int, user_id: int, raw_scope: object, typed: str) -> list[tuple[str, str]]:
        """Autocomplete for a playlist's name: the scope's playlists whose names contain what is typed (a scope
        that is not one of the choices, as a partial interaction may carry, means the member's own)."""
        scope = Scope.SERVER if raw_scope == Scope.SERVER.value else Scope.MINE
        needle = " ".join(typed.split()).casefold()
        summaries = await self._store.summaries(owner_for(scope, guild_id, user_id))
        found = [s for s in summaries if needle in s.meta.name.casefold()]
        return [(words.choice(s.meta.name, s.entries), s.meta.name) for s in found]

    @property
    def gate(self) -> Gate:
        return self._gate

    async def target(self, invocation: Invocation, raw_name: str, raw_scope: str | None) -> Target:
        """The playlist a command names; unknown names are refused."""
        name, scope = parse_name(raw_name), parse_scope(raw_scope)
        owner = owner_of(scope, invocation)
        meta = await self._store.find(owner, name)
        if meta is None:
            raise InvalidInputError(words.unknown(name, scope.value))
        return Target(scope, owner, meta)

    async def changing(self, invocation: Invocation, scope: Scope) -> Admission:
        """Count the command against the member's rate and check they may change the playlists of `scope`."""
        admission = await self._gate.admit(invocation, Access.READ, mark("Changing playlists"))
        require_change(scope, invocation, admission.settings)
        return admission

    def _raise_refused(self, written: Written, name: str, scope: Scope) -> None:
        message = refused(written, name, scope, self._settings)
        if message is not None:
            raise InvalidInputError(message)
