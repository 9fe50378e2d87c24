"""What members read about saved playlists (`/playlist`): replies, the list and page cards, every refusal, and the
words of each import outcome (one exhaustive mapping)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from gateway.wording import failures
from gateway.wording.formatting import clip, duration, escape, track_link
from gateway.wording.reply import Card, Reply
from shared.failures import Problem, ProblemKind
from shared.models import Track
from shared.playlists import ImportResult, ImportStatus

PAGE_SIZE: Final = 10
SCOPE_WORDS: Final = {"mine": "your playlists", "server": "this server's playlists"}
SCOPE_DESCRIPTION: Final = "Whose playlists: yours (default) or this server's"

BAD_SCOPE: Final = "`scope` must be one of: mine, server."
NAME_EMPTY: Final = "Give the playlist a name."
NAME_CHARACTERS: Final = "A playlist name may not contain control or format characters."
NOTHING_TO_SAVE: Final = "Nothing is playing or queued, so there is nothing to save."
NOTHING_TO_EXPORT: Final = "Nothing is playing or queued, so there is nothing to export."
NOTHING_PLAYING: Final = "Nothing is playing; name a track to add (a link or some search words)."
CHANGED: Final = "That playlist was changed at the same moment; please try again."
FILE_OR_LINK: Final = "Attach a playlist file (JSON or M3U) or give a link — one of the two."
TOO_SLOW: Final = "Reading that took too long; please try again in a moment."
NEEDS_NAME: Final = "That has no name I can use; give the playlist a `name`."
CHANGE_SERVER: Final = "Changing this server's playlists"
POSITION_START: Final = "Entries are numbered from 1."
BAD_ATTACHMENT: Final = "I can't read that attachment's details; please attach the file again."


def quoted(name: str) -> str:
    return f"**{escape(clip(name, 60))}**"


def name_too_long(length: int, limit: int) -> str:
    return f"That name is too long ({length} characters; the limit is {limit})."


def unknown(name: str, scope: str) -> str:
    return f"There is no playlist {quoted(name)} in {SCOPE_WORDS[scope]}; `/playlist list` shows them."


def name_taken(name: str, scope: str) -> str:
    return f"{SCOPE_WORDS[scope].capitalize()} already have one called {quoted(name)}: pick another name or delete it."


def too_many_playlists(limit: int, scope: str) -> str:
    return f"{SCOPE_WORDS[scope].capitalize()} are at the limit of {limit:,}: delete one to make room."


def too_many_entries(count: int, limit: int) -> str:
    return f"A playlist holds at most {limit:,} tracks; that would make {count:,}. Nothing was changed."


def file_too_large(size: int, limit: int) -> str:
    return f"That file is too large ({_size(size)}; the limit is {_size(limit)}). Nothing was downloaded."


def empty(name: str) -> str:
    return f"{quoted(name)} is empty: there is nothing to queue."


def no_entry(position: int, total: int) -> str:
    if total == 0:
        return "That playlist is empty."
    return f"There is no entry {position:,}: the playlist has {total:,}."


def choice(name: str, count: int) -> str:
    """A playlist as an autocomplete choice: `Evening · 12 tracks`."""
    return f"{name} · {_tracks(count)}"


def saved(name: str, count: int, scope: str) -> Reply:
    where = "to this server's playlists" if scope == "server" else "to your playlists"
    return Reply.note(f"💾 Saved {quoted(name)} ({_tracks(count)}) {where}.", ephemeral=True)


def imported(name: str, count: int, scope: str) -> Reply:
    where = "to this server's playlists" if scope == "server" else "to your playlists"
    return Reply.note(f"📥 Imported {quoted(name)} ({_tracks(count)}) {where}.", ephemeral=True)


def added(name: str, tracks: Sequence[Track], total: int) -> Reply:
    what = track_link(tracks[0]) if len(tracks) == 1 else _tracks(len(tracks))
    return Reply.note(f"➕ Added {what} to {quoted(name)} (now {_tracks(total)}).", ephemeral=True)


def removed(name: str, track: Track | None) -> Reply:
    what = track_link(track) if track is not None else "the entry"
    return Reply.note(f"➖ Removed {what} from {quoted(name)}.", ephemeral=True)


def renamed(old: str, new: str) -> Reply:
    return Reply.note(f"✏️ Renamed {quoted(old)} to {quoted(new)}.", ephemeral=True)


def deleted(name: str) -> Reply:
    return Reply.note(f"🗑 Deleted {quoted(name)}.", ephemeral=True)


def exported(name: str | None, count: int) -> str:
    what = quoted(name) if name is not None else "The queue"
    return f"📤 {what}: {_tracks(count)} as JSON (for `/playlist import`) and M3U (for music players)."


def listing(scope: str, entries: Sequence[tuple[str, int]], limit: int) -> Reply:
    """`entries`: each playlist's name and length, in order."""
    title = f"🎼 {SCOPE_WORDS[scope].capitalize()}"
    if not entries:
        hint = "None yet: `/playlist save` keeps the queue, `/playlist import` reads a file or a link."
        return Reply(card=Card(title=title, description=hint), ephemeral=True)
    lines = [f"{quoted(name)} · {_tracks(count)}" for name, count in entries]
    footer = f"{len(entries):,} of {limit:,} playlists"
    return Reply(card=Card(title=title, description="\n".join(lines), footer=footer), ephemeral=True)


def page(name: str, tracks: Sequence[Track], page_index: int, total: int) -> Reply:
    """One page of a playlist's entries, numbered as `/playlist remove` takes them."""
    pages = max(1, -(-total // PAGE_SIZE))
    start = page_index * PAGE_SIZE
    lines = [f"`{start + n}.` {track_link(track)} · {duration(track.duration_ms)}" for n, track in enumerate(tracks, 1)]
    description = "\n".join(lines) or ("This playlist is empty." if total == 0 else "No entries on this page.")
    length = sum(track.duration_ms or 0 for track in tracks)
    footer = f"Page {page_index + 1} of {pages} · {_tracks(total)} · this page {duration(length)}"
    card = Card(title=f"🎼 {escape(clip(name, 200))}", description=description, footer=footer)
    return Reply(card=card, ephemeral=True)


IMPORT_WORDS: Final[dict[ImportStatus, str]] = {
    ImportStatus.FOUND: "Found {count} tracks.",
    ImportStatus.NOT_ALLOWED: "That file is not on Discord's servers, so I won't download it.",
    ImportStatus.TOO_LARGE: "That file is larger than the limit of {limit_bytes}. Nothing was imported.",
    ImportStatus.TOO_MANY: "That has {count} tracks; a playlist holds at most {limit:,}. Nothing was imported.",
    ImportStatus.MALFORMED: "That file is not a playlist I can read{where}: use the JSON `/playlist export` makes, "
    "or an M3U list of links.",
    ImportStatus.REFUSED: "Nothing was imported: {refused}.",
    ImportStatus.NOTHING_FOUND: "There are no tracks in that to import.",
    ImportStatus.FAILED: "That could not be read: {problem}",
}
"""`{count}` the entries found (or "more"), `{limit}` the entry limit, `{limit_bytes}` the size limit, `{where}` the
first bad line, `{refused}` which entries the URL guard refused and why, `{problem}` a resolve problem's sentence."""


def import_failure(result: ImportResult, limit: int, limit_bytes: int) -> str:
    problem = result.problem or Problem(kind=ProblemKind.JOB_FAILED)
    return IMPORT_WORDS[result.status].format(
        count=f"{result.count:,}" if result.count is not None else "more",
        limit=limit,
        limit_bytes=_size(limit_bytes),
        where=f" (line {result.line:,} is not a link)" if result.line is not None else "",
        refused=_refused(result, problem),
        problem=failures.sentence(problem, subject="That"),
    )


def _refused(result: ImportResult, problem: Problem) -> str:
    why = failures.refusal(problem) if problem.kind is ProblemKind.REFUSED else failures.sentence(problem)
    if result.count:
        return f"{_tracks(result.count)} point where encore may not go ({why.rstrip('.')})"
    return f"that link is not allowed ({why.rstrip('.')})"


def _tracks(count: int) -> str:
    return f"{count:,} track" if count == 1 else f"{count:,} tracks"


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MiB"
    return f"{size / 1024:.0f} KiB" if size >= 1024 else f"{size} bytes"
