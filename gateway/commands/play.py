"""`/play`, `/search` and search picks: summon the bot, hand the query to a resolve job, report what was queued;
and the suggestions `/play` offers while the member types."""

from __future__ import annotations

import logging
import uuid
from typing import Final

from gateway.commands.admission import Admission, Gate
from gateway.commands.invocation import Invocation, Responder
from gateway.commands.issuing import Issuer
from gateway.commands.parsing import parse_query, parse_when
from gateway.commands.permissions import Access, summon_target
from gateway.stores.jobs import Jobs
from gateway.stores.recent import CHOICE_LENGTH, RecentEntry, RecentStore, SearchSession
from gateway.stores.search_cache import ResolverSearchCache
from gateway.wording import formatting
from gateway.wording.custom_ids import SearchPick
from gateway.wording.language import mark, tr
from gateway.wording.reply import Button, ButtonStyle, Reply
from shared.active_store import ActiveGuildStore
from shared.commands import JoinCommand, PlayNowCommand
from shared.errors import InvalidInputError, PermissionDeniedError
from shared.jobs import MAX_QUERY_LENGTH, ResolveRequest, ResolveResult, ResolveStatus, SearchRequest
from shared.models import InsertPosition, Track
from shared.settings import GatewaySettings
from shared.tasks import TaskOwner

_log: Final = logging.getLogger(__name__)
SEARCH_LIMIT: Final = 5
LATE_RESULT_WAIT_S: Final = 600.0
"""How long a `/play` keeps waiting in the background after answering "still working" (tokens last 15 min)."""
_PICK_NAMESPACE: Final = uuid.UUID("6f1c37a2-2d57-4b8e-9a55-3f0d8c1e7b11")


def _choice(text: str) -> str:
    return text if len(text) <= CHOICE_LENGTH else text[: CHOICE_LENGTH - 1] + "…"


class PlayActions:
    def __init__(  # noqa: PLR0913 - one collaborator each, built once by gateway.app
        self,
        settings: GatewaySettings,
        gate: Gate,
        issuer: Issuer,
        jobs: Jobs,
        recent: RecentStore,
        active: ActiveGuildStore,
        background: TaskOwner,
    ) -> None:
        self._settings = settings
        self._gate = gate
        self._issuer = issuer
        self._jobs = jobs
        self._recent = recent
        self._active = active
        self._background = background

    async def play(self, invocation: Invocation, raw_query: str, raw_when: str | None, out: Responder) -> Reply:
        expanded = await self._recent.expand(invocation.guild_id, invocation.actor.user_id, raw_query)
        if expanded is None:
            raise InvalidInputError(tr("That suggestion has expired; please type the query again."))
        query = parse_query(expanded)
        when = parse_when(raw_when)
        admission = await self._gate.admit(invocation, Access.SUMMON, mark("Playing music"))
        await out.defer()
        await self._summon(invocation, admission)
        return await self._resolve(invocation, query, when, uuid.uuid4().hex, out, typed=_query_entry(query))

    async def play_saved(
        self, invocation: Invocation, name: str, saved: tuple[Track, ...], raw_when: str | None, out: Responder
    ) -> Reply:
        """`/playlist load`: a saved playlist queued like `/play` queues a playlist (the same resolve job, which
        guards every entry again), under the same admission and summon."""
        when = parse_when(raw_when)
        admission = await self._gate.admit(invocation, Access.SUMMON, "Playing music")
        await out.defer()
        await self._summon(invocation, admission)
        return await self._resolve(invocation, name, when, uuid.uuid4().hex, out, saved=saved)

    async def search(self, invocation: Invocation, raw_query: str, raw_when: str | None, out: Responder) -> Reply:
        query = parse_query(raw_query)
        when = parse_when(raw_when)
        await self._gate.admit(invocation, Access.SUMMON, mark("Searching"))
        await out.defer(ephemeral=True)
        search_id = uuid.uuid4().hex
        request = SearchRequest(query=query, limit=SEARCH_LIMIT, guild_id=invocation.guild_id)
        result = await self._jobs.search(request, search_id, self._settings.resolve_wait_s)
        if result is None:
            return Reply(content=tr("⏳ The search is taking too long; please try again in a moment."))
        if not result.tracks:
            return formatting.search_failed(query, result)
        session = SearchSession(user_id=invocation.actor.user_id, query=query, tracks=result.tracks, position=when)
        await self._recent.save_search(invocation.guild_id, search_id, session)
        entries = [entry for track in result.tracks if (entry := _track_entry(track)) is not None]
        await self._recent.remember(invocation.guild_id, invocation.actor.user_id, entries)
        lines = formatting.search_results(query, result)
        buttons = tuple(
            Button(SearchPick(search_id, index).custom_id, str(index + 1), ButtonStyle.PRIMARY)
            for index in range(len(result.tracks))
        )
        return Reply(content=tr("Pick one:") + "\n" + "\n".join(lines), buttons=buttons)

    async def pick(self, invocation: Invocation, pick: SearchPick, out: Responder) -> Reply:
        session = await self._recent.search(invocation.guild_id, pick.search_id)
        if session is None:
            raise InvalidInputError(tr("This search has expired; run `/search` again."))
        if session.user_id != invocation.actor.user_id:
            raise PermissionDeniedError(tr("Only the member who searched can pick a result."))
        if pick.index >= len(session.tracks):
            raise InvalidInputError(tr("That result does not exist."))
        admission = await self._gate.admit(invocation, Access.SUMMON, mark("Playing music"))
        await out.defer()
        await self._summon(invocation, admission)
        track = session.tracks[pick.index]
        # One request id per (search, result): a double click resolves (and queues) once.
        request_id = uuid.uuid5(_PICK_NAMESPACE, f"{pick.search_id}:{pick.index}").hex
        return await self._resolve(invocation, track.url, session.position, request_id, out)

    async def _summon(self, invocation: Invocation, admission: Admission) -> None:
        """Bring the bot to the member's channel if needed, and make sure a worker plays this guild."""
        target = summon_target(invocation.actor, admission.situation(invocation)) or invocation.actor.voice_channel_id
        # Sent even when Discord's cache shows the bot in that channel already: the cache can lag a leave that
        # just happened, and a Join to the channel the player is in only makes an idle player start.
        if target is not None:
            await self._issuer.send(invocation, JoinCommand(voice_channel_id=target))
        await self._active.mark(invocation.guild_id)

    async def _resolve(  # noqa: PLR0913 - the request's parts; `typed` and `saved` are set by one caller each
        self,
        invocation: Invocation,
        query: str,
        when: InsertPosition,
        request_id: str,
        out: Responder,
        typed: RecentEntry | None = None,
        saved: tuple[Track, ...] | None = None,
    ) -> Reply:
        request = ResolveRequest(
            guild_id=invocation.guild_id,
            request_id=request_id,
            query=query,
            requester_id=invocation.actor.user_id,
            position=when,
            text_channel_id=invocation.text_channel_id,
            saved=saved,
        )
        await self._jobs.submit_resolve(request)
        result = await self._jobs.resolve_result(request_id, self._settings.resolve_wait_s)
        if result is None:
            late = self._late(invocation, request, out, typed)
            self._background.spawn(late, name=f"late-resolve:{request_id}")
            return Reply(content=tr(formatting.STILL_WORKING))
        return await self._finish(invocation, request, result, typed)

    async def _late(
        self, invocation: Invocation, request: ResolveRequest, out: Responder, typed: RecentEntry | None
    ) -> None:
        result = await self._jobs.resolve_result(request.request_id, LATE_RESULT_WAIT_S)
        if result is None:
            _log.warning("resolve %s gave no result in time", request.request_id, extra={"guild_id": request.guild_id})
            await out.edit(Reply.error(tr("That took too long and was given up. Please try again.")))
            return
        await out.edit(await self._finish(invocation, request, result, typed))

    async def _finish(
        self, invocation: Invocation, request: ResolveRequest, result: ResolveResult, typed: RecentEntry | None
    ) -> Reply:
        """Word the reply (the job queued the items and told the owner itself); `/play now` also tells the owner to
        jump to the first; what the member typed is remembered for autocomplete only once something was queued."""
        if result.status is ResolveStatus.QUEUED and result.first is not None:
            if typed is not None:
                await self._recent.remember(invocation.guild_id, invocation.actor.user_id, [typed])
            first = result.first
            if request.position is InsertPosition.NOW:
                await self._issuer.send(invocation, PlayNowCommand(uid=first.uid))
            entry = _track_entry(first.track)
            if entry is not None and (result.total is None or result.total <= 1):
                await self._recent.remember(invocation.guild_id, invocation.actor.user_id, [entry])
        return formatting.resolve_outcome(result, request.position, request.query)


def _query_entry(query: str) -> RecentEntry:
    return RecentEntry(label=_choice(query), value=query)


def _track_entry(track: Track) -> RecentEntry | None:
    """A picked or found track as a choice; None when its URL is too long to be a query."""
    if len(track.url) > MAX_QUERY_LENGTH:
        return None
    return RecentEntry(label=_choice(track.title), value=track.url)


class Suggestions:
    """Autocomplete for `/play query`: what was typed, the resolver's cached results for it, then the member's
    recent queries and picks that match it."""

    def __init__(self, searches: ResolverSearchCache, recent: RecentStore) -> None:
        self._searches = searches
        self._recent = recent

    async def entries(self, guild_id: int, user_id: int, typed: str) -> list[RecentEntry]:
        text = " ".join(typed.split())[:MAX_QUERY_LENGTH]
        needle = text.lower()
        choices: list[RecentEntry] = [RecentEntry(label=_choice(text), value=text)] if text else []
        found = [_track_entry(track) for track in await self._searches.tracks(text)]
        choices.extend(entry for entry in found if entry is not None)
        recent = await self._recent.recent(guild_id, user_id)
        choices.extend(entry for entry in recent if needle in entry.label.lower() or needle in entry.value.lower())
        unique: dict[str, RecentEntry] = {}
        for entry in choices:
            unique.setdefault(entry.value, entry)
        return list(unique.values())[:25]

    async def choices(self, guild_id: int, user_id: int, typed: str) -> list[tuple[str, str]]:
        """`entries` as `(name, value)` pairs whose values fit Discord's 100 characters: a longer query or URL is
        offered under a short key that `/play` maps back, so picking it plays exactly what was shown."""
        found = await self.entries(guild_id, user_id, typed)
        values = await self._recent.shorten(guild_id, user_id, [entry.value for entry in found])
        return [(entry.label, value) for entry, value in zip(found, values, strict=True)]
