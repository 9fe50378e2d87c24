"""`/playlist export` and `/playlist import`: a playlist (or the queue) as files, and a playlist from a file or a
link.

- Export attaches two files to an ephemeral reply: the JSON document `import` reads back exactly, and an M3U.
- Import takes an attached file or a link, never both. The file's size, as Discord reports it, is checked here
  before anything else; the worker's import job downloads it (from Discord's CDN only, bounded again), reads it
  (the JSON schema, or M3U/PLS) and checks every entry with the resolver's URL guard; a link goes the resolver's
  way. Only a complete, allowed result is saved, as a new playlist within the limits; any refusal changes nothing.
"""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from gateway.commands.invocation import Invocation, Responder
from gateway.commands.permissions import Access
from gateway.commands.playlist_files import document, m3u, stem
from gateway.commands.playlist_rules import name_from, parse_name, parse_scope
from gateway.commands.playlists import PlaylistActions, playing_and_queued
from gateway.stores.jobs import Jobs
from gateway.stores.playlists import PlaylistStore
from gateway.wording import playlists as words
from gateway.wording.language import mark, tr
from gateway.wording.reply import Reply, ReplyFile
from shared.errors import InvalidInputError
from shared.models import Track
from shared.playlists import AttachmentRef, ImportRequest, ImportResult, ImportStatus
from shared.queue_store import QueueStore
from shared.settings import GatewaySettings


def export_reply(name: str | None, tracks: list[Track]) -> Reply:
    base = stem(name) if name is not None else "queue"
    files = (ReplyFile(f"{base}.json", document(name or "Queue", tracks)), ReplyFile(f"{base}.m3u", m3u(tracks)))
    return Reply(content=words.exported(name, len(tracks)), ephemeral=True, files=files)


class TransferActions:
    def __init__(
        self,
        settings: GatewaySettings,
        playlists: PlaylistActions,
        store: PlaylistStore,
        queue: QueueStore,
        jobs: Jobs,
    ) -> None:
        self._settings = settings
        self._playlists = playlists
        self._store = store
        self._queue = queue
        self._jobs = jobs

    async def export(self, invocation: Invocation, raw_name: str | None, raw_scope: str | None) -> Reply:
        """A saved playlist, or without a name the track playing and the queue."""
        if raw_name is None:
            parse_scope(raw_scope)
            admission = await self._playlists.gate.admit(invocation, Access.READ, mark("Exporting the queue"))
            queued = [item.track for item in await self._queue.all_items(invocation.guild_id)]
            tracks = playing_and_queued(admission.state, queued)
            if not tracks:
                raise InvalidInputError(tr(words.NOTHING_TO_EXPORT))
            return export_reply(None, tracks)
        await self._playlists.gate.admit(invocation, Access.READ, mark("Exporting playlists"))
        target = await self._playlists.target(invocation, raw_name, raw_scope)
        tracks = await self._store.entries(target.owner, target.meta)
        if not tracks:
            raise InvalidInputError(words.empty(target.meta.name))
        return export_reply(target.meta.name, tracks)

    async def import_(
        self,
        invocation: Invocation,
        raw_name: str | None,
        attachment: AttachmentRef | None,
        link: str | None,
        raw_scope: str | None,
        out: Responder,
    ) -> Reply:
        name = parse_name(raw_name) if raw_name is not None else None
        scope = parse_scope(raw_scope)
        request = self._request(attachment, link)
        await self._playlists.changing(invocation, scope)
        await out.defer(ephemeral=True)
        result = await self._jobs.import_playlist(request, uuid.uuid4().hex, self._settings.resolve_wait_s)
        if result is None:
            raise InvalidInputError(tr(words.TOO_SLOW))
        if result.status is not ImportStatus.FOUND:
            limits = self._settings.playlist_entries, self._settings.playlist_file_bytes
            raise InvalidInputError(words.import_failure(result, *limits))
        chosen = name or _name_of(result, attachment)
        await self._playlists.create(invocation, scope, chosen, list(result.tracks))
        return words.imported(chosen, len(result.tracks), scope.value)

    def _request(self, attachment: AttachmentRef | None, link: str | None) -> ImportRequest:
        """The import job's request; a file larger than the limit is refused here, before anything downloads it."""
        if (attachment is None) == (link is None):
            raise InvalidInputError(tr(words.FILE_OR_LINK))
        limit = self._settings.playlist_file_bytes
        if attachment is not None and attachment.size > limit:
            raise InvalidInputError(words.file_too_large(attachment.size, limit))
        text = " ".join(link.split()) if link is not None else None
        if text == "":
            raise InvalidInputError(tr(words.FILE_OR_LINK))
        return ImportRequest(
            attachment=attachment, link=text, max_entries=self._settings.playlist_entries, max_bytes=limit
        )


def _name_of(result: ImportResult, attachment: AttachmentRef | None) -> str:
    """The playlist's own title, else the file's name without its extension."""
    filename = PurePosixPath(attachment.filename).stem if attachment is not None else None
    chosen = name_from(result.title) or name_from(filename)
    if chosen is None:
        raise InvalidInputError(tr(words.NEEDS_NAME))
    return chosen
