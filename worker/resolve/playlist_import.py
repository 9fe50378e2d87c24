"""`/playlist import` and `/playlist add`: the entries of an attached file or of a link, read and checked; nothing
is queued (the gateway saves what comes back).

- An attachment is downloaded only from `attachment_hosts` (Discord's CDN), only when the size Discord reports is
  within the limit, and through the guarded stack (`YtDlp.get`: the URL guard on every hop), reading at most the
  limit plus one byte, so a file that lied about its size is still refused.
- A file is either a playlist document (JSON of `PlaylistDocument`, a frozen model that forbids unknown fields) or
  an M3U/PLS list whose entries are absolute links; anything else is malformed.
- A link goes the resolver's way (`ResolveService`): text is searched (its first result), an M3U/PLS link fetched
  and parsed, anything else extracted by yt-dlp: a playlist's entries (the first `max_entries + 1`), or one track.
- Every entry passes the resolver's URL guard (`check_static`, as its playlist entries do: no DNS here; a name
  that resolves to a private address is refused when played, by the guarded handler and proxy). One refused entry
  refuses the whole import, as do more entries than `max_entries`: a member gets all of it or a reason.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from pydantic import ValidationError
from yt_dlp.utils import YoutubeDLError

from shared.failures import Problem, ProblemKind
from shared.jobs import SEARCH_SIZE, SkipKind
from shared.playlists import (
    MAX_SAVED_ENTRIES,
    AttachmentRef,
    ImportRequest,
    ImportResult,
    ImportStatus,
    PlaylistDocument,
)
from worker.resolve.failures import classify
from worker.resolve.guard import UrlGuard
from worker.resolve.parts import ResolverParts
from worker.resolve.search import Searcher
from worker.resolve.tracks import (
    SkipTally,
    basename_title,
    clean_text,
    is_playlist_file,
    make_track,
    parse_playlist_file,
    too_long,
    usable_tracks,
)
from worker.resolve.ytdlp import Extraction

_ABSOLUTE: Final = re.compile(r"^[a-z][a-z0-9+.-]*:", re.IGNORECASE)


def _result(status: ImportStatus, **details: object) -> ImportResult:
    return ImportResult.model_validate({"status": status, **details})


def read_document(text: str) -> ImportResult:
    """A file's entries (FOUND), or why it is no playlist (MALFORMED, TOO_MANY beyond the highest entry limit).
    Pure: no entry is checked here."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith(("{", "[")) and not stripped.lower().startswith("[playlist]"):
        return _read_json(stripped)
    bad_line = _first_bad_line(stripped)
    entries = parse_playlist_file(stripped, "")
    if bad_line is not None or entries is None or any(not _ABSOLUTE.match(entry.url) for entry in entries):
        return _result(ImportStatus.MALFORMED, line=bad_line)
    if len(entries) > MAX_SAVED_ENTRIES:
        return _result(ImportStatus.TOO_MANY, count=len(entries))
    return _result(ImportStatus.FOUND, tracks=tuple(entry.track() for entry in entries))


def _read_json(text: str) -> ImportResult:
    try:
        document = PlaylistDocument.model_validate_json(text)
    except ValidationError as exc:
        if any(error["type"] == "too_long" and error["loc"] == ("tracks",) for error in exc.errors()):
            return _result(ImportStatus.TOO_MANY)
        return _result(ImportStatus.MALFORMED)
    return _result(ImportStatus.FOUND, tracks=document.tracks, title=document.name)


def _first_bad_line(text: str) -> int | None:
    """M3U: the first line (1-based) that is neither blank, a comment or directive, nor an absolute link."""
    if text.lower().startswith("[playlist]"):
        return None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line and not line.startswith("#") and not _ABSOLUTE.match(line):
            return number
    return None


def checked(result: ImportResult, guard: UrlGuard, max_entries: int) -> ImportResult:
    """A FOUND result's entries against the limit and the guard: all of them pass, or the import is refused."""
    if result.status is not ImportStatus.FOUND:
        return result
    if not result.tracks:
        return _result(ImportStatus.NOTHING_FOUND)
    if len(result.tracks) > max_entries:
        return _result(ImportStatus.TOO_MANY, count=len(result.tracks))
    verdicts = [guard.check_static(track.url) for track in result.tracks]
    refused = [verdict for verdict in verdicts if not verdict.allowed]
    if refused:
        return _result(ImportStatus.REFUSED, count=len(refused), problem=refused[0].problem())
    return result


class PlaylistImporter:
    def __init__(self, parts: ResolverParts, searcher: Searcher) -> None:
        self._d = parts
        self._searcher = searcher
        self._cdn_hosts = frozenset(host.lower() for host in parts.config.attachment_hosts)

    async def read(self, request: ImportRequest, link: tuple[Literal["url", "text"], str] | None) -> ImportResult:
        """`link` is the request's link as the resolver parses `/play` input (None for an attachment)."""
        if request.attachment is not None:
            found = await self._attachment(request.attachment, request.max_bytes)
        else:
            assert link is not None  # the model holds exactly one source
            kind, value = link
            found = await self._search(value) if kind == "text" else await self._link(value, request.max_entries)
        return checked(found, self._d.guard, request.max_entries)

    async def _attachment(self, attachment: AttachmentRef, max_bytes: int) -> ImportResult:
        refusal = await self._refusal(attachment, max_bytes)
        if refusal is not None:
            return refusal
        try:
            answer = await self._d.ytdlp.get(attachment.url, {}, max_bytes + 1)
        except (YoutubeDLError, TimeoutError) as err:
            return _failed(err)
        if answer.status != 200:
            return _result(ImportStatus.FAILED, problem=Problem(kind=ProblemKind.HTTP, http_status=answer.status))
        if len(answer.text.encode()) > max_bytes:
            return _result(ImportStatus.TOO_LARGE)
        return read_document(answer.text)

    async def _refusal(self, attachment: AttachmentRef, max_bytes: int) -> ImportResult | None:
        """Why the file is not downloaded at all: not on Discord's CDN, larger than allowed, or refused by the guard."""
        parts = urlsplit(attachment.url)
        if parts.scheme not in ("http", "https") or (parts.hostname or "").lower() not in self._cdn_hosts:
            return _result(ImportStatus.NOT_ALLOWED)
        if attachment.size > max_bytes:
            return _result(ImportStatus.TOO_LARGE, count=attachment.size)
        verdict = await self._d.guard.check(attachment.url)
        return None if verdict.allowed else _result(ImportStatus.REFUSED, problem=verdict.problem())

    async def _link(self, url: str, max_entries: int) -> ImportResult:
        verdict = await self._d.guard.check(url)
        if not verdict.allowed:
            return _result(ImportStatus.REFUSED, problem=verdict.problem())
        try:
            listed = await self._list_file(url, max_entries) if is_playlist_file(url) else None
            if listed is not None:
                return listed
            extraction = await self._d.ytdlp.extract(url, first=max_entries + 1, cap=max_entries + 1)
        except (YoutubeDLError, TimeoutError) as err:
            return _failed(err)
        return self._extracted(url, extraction, max_entries)

    def _extracted(self, url: str, extraction: Extraction, max_entries: int) -> ImportResult:
        if extraction.entries is None:
            if too_long(extraction.info.get("duration")):
                return _result(ImportStatus.REFUSED, problem=Problem(kind=ProblemKind.TOO_LONG))
            return _result(ImportStatus.FOUND, tracks=(make_track(extraction.info, url),))
        if extraction.count is not None and extraction.count > max_entries:
            return _result(ImportStatus.TOO_MANY, count=extraction.count)
        return self._entries(extraction.entries, clean_text(extraction.info.get("title")))

    async def _list_file(self, url: str, max_entries: int) -> ImportResult | None:
        """An M3U or PLS link's entries (relative ones against where it was found); None when it is not one."""
        final_url, document = await self._d.ytdlp.fetch_text(url)
        entries = parse_playlist_file(document, final_url)
        if entries is None:
            return None
        tracks = tuple(entry.track() for entry in entries[: max_entries + 1])
        return _result(ImportStatus.FOUND, tracks=tracks, title=basename_title(url))

    def _entries(self, entries: Sequence[dict[str, Any]], title: str | None) -> ImportResult:
        tally: SkipTally = Counter()
        tracks = usable_tracks(entries, self._d.guard, tally)
        if tally[SkipKind.REFUSED]:
            problem = Problem(kind=ProblemKind.REFUSED)
            return _result(ImportStatus.REFUSED, count=tally[SkipKind.REFUSED], problem=problem)
        return _result(ImportStatus.FOUND, tracks=tuple(tracks), title=title)

    async def _search(self, text: str) -> ImportResult:
        tracks = await self._searcher.tracks(text, SEARCH_SIZE)
        if tracks is None:
            return _result(ImportStatus.FAILED, problem=Problem(kind=ProblemKind.SEARCH_UNAVAILABLE))
        return _result(ImportStatus.FOUND, tracks=tuple(tracks[:1])) if tracks else _nothing()


def _nothing() -> ImportResult:
    return _result(ImportStatus.NOTHING_FOUND, problem=Problem(kind=ProblemKind.NO_RESULTS))


def _failed(err: Exception) -> ImportResult:
    problem, _ = classify(err)
    status = ImportStatus.REFUSED if problem.kind is ProblemKind.REFUSED else ImportStatus.FAILED
    return _result(status, problem=problem)
