"""What members read about saved playlists (`/playlist`): replies, the list and page cards, every refusal, and the
words of each import outcome (one exhaustive mapping)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from gateway.wording import failures
from gateway.wording.formatting import clip, duration, escape, track_link
from gateway.wording.language import mark, number, tr, trn
from gateway.wording.reply import Card, Reply
from shared.failures import Problem, ProblemKind
from shared.models import Track
from shared.playlists import ImportResult, ImportStatus

PAGE_SIZE: Final = 10
SCOPE_DESCRIPTION: Final = "Whose playlists: yours (default) or this server's"

BAD_SCOPE: Final = mark("`scope` must be one of: mine, server.")
NAME_EMPTY: Final = mark("Give the playlist a name.")
NAME_CHARACTERS: Final = mark("A playlist name may not contain control or format characters.")
NOTHING_TO_SAVE: Final = mark("Nothing is playing or queued, so there is nothing to save.")
NOTHING_TO_EXPORT: Final = mark("Nothing is playing or queued, so there is nothing to export.")
NOTHING_PLAYING: Final = mark("Nothing is playing; name a track to add (a link or some search words).")
CHANGED: Final = mark("That playlist was changed at the same moment; please try again.")
FILE_OR_LINK: Final = mark("Attach a playlist file (JSON or M3U) or give a link — one of the two.")
TOO_SLOW: Final = mark("Reading that took too long; please try again in a moment.")
NEEDS_NAME: Final = mark("That has no name I can use; give the playlist a `name`.")
CHANGE_SERVER: Final = mark("Changing this server's playlists")
POSITION_START: Final = mark("Entries are numbered from 1.")
BAD_ATTACHMENT: Final = mark("I can't read that attachment's details; please attach the file again.")
"""Refusals: `tr` them where they are raised, in the member's language."""


def quoted(name: str) -> str:
    return f"**{escape(clip(name, 60))}**"


def name_too_long(length: int, limit: int) -> str:
    return tr(
        "That name is too long ({length} characters; the limit is {limit}).", length=number(length), limit=number(limit)
    )


def unknown(name: str, scope: str) -> str:
    if scope == "server":
        return tr("This server has no playlist {name}; `/playlist list` shows them.", name=quoted(name))
    return tr("You have no playlist {name}; `/playlist list` shows them.", name=quoted(name))


def name_taken(name: str, scope: str) -> str:
    if scope == "server":
        text = mark("This server already has a playlist called {name}: pick another name or delete it.")
    else:
        text = mark("You already have a playlist called {name}: pick another name or delete it.")
    return tr(text, name=quoted(name))


def too_many_playlists(limit: int, scope: str) -> str:
    if scope == "server":
        text = mark("This server is at the limit of {limit} playlists: delete one to make room.")
    else:
        text = mark("You are at the limit of {limit} playlists: delete one to make room.")
    return tr(text, limit=number(limit))


def too_many_entries(count: int, limit: int) -> str:
    return tr(
        "A playlist holds at most {limit} tracks; that would make {count}. Nothing was changed.",
        limit=number(limit),
        count=number(count),
    )


def file_too_large(size: int, limit: int) -> str:
    return tr(
        "That file is too large ({size}; the limit is {limit}). Nothing was downloaded.",
        size=_size(size),
        limit=_size(limit),
    )


def empty(name: str) -> str:
    return tr("{name} is empty: there is nothing to queue.", name=quoted(name))


def no_entry(position: int, total: int) -> str:
    if total == 0:
        return tr("That playlist is empty.")
    return trn(
        "There is no entry {position}: the playlist has {count} entry.",
        "There is no entry {position}: the playlist has {count} entries.",
        total,
        position=number(position),
    )


def choice(name: str, count: int) -> str:
    """A playlist as an autocomplete choice: `Evening · 12 tracks`."""
    return f"{name} · {_tracks(count)}"


def saved(name: str, count: int, scope: str) -> Reply:
    if scope == "server":
        text = mark("💾 Saved {name} ({tracks}) to this server's playlists.")
    else:
        text = mark("💾 Saved {name} ({tracks}) to your playlists.")
    return Reply.note(tr(text, name=quoted(name), tracks=_tracks(count)), ephemeral=True)


def imported(name: str, count: int, scope: str) -> Reply:
    if scope == "server":
        text = mark("📥 Imported {name} ({tracks}) to this server's playlists.")
    else:
        text = mark("📥 Imported {name} ({tracks}) to your playlists.")
    return Reply.note(tr(text, name=quoted(name), tracks=_tracks(count)), ephemeral=True)


def added(name: str, tracks: Sequence[Track], total: int) -> Reply:
    what = track_link(tracks[0]) if len(tracks) == 1 else _tracks(len(tracks))
    text = tr("➕ Added {what} to {name} (now {tracks}).", what=what, name=quoted(name), tracks=_tracks(total))
    return Reply.note(text, ephemeral=True)


def removed(name: str, track: Track | None) -> Reply:
    if track is None:
        return Reply.note(tr("➖ Removed the entry from {name}.", name=quoted(name)), ephemeral=True)
    return Reply.note(tr("➖ Removed {track} from {name}.", track=track_link(track), name=quoted(name)), ephemeral=True)


def renamed(old: str, new: str) -> Reply:
    return Reply.note(tr("✏️ Renamed {old} to {new}.", old=quoted(old), new=quoted(new)), ephemeral=True)


def deleted(name: str) -> Reply:
    return Reply.note(tr("🗑 Deleted {name}.", name=quoted(name)), ephemeral=True)


def exported(name: str | None, count: int) -> str:
    if name is None:
        text = mark("📤 The queue: {tracks} as JSON (for `/playlist import`) and M3U (for music players).")
    else:
        text = mark("📤 {name}: {tracks} as JSON (for `/playlist import`) and M3U (for music players).")
    return tr(text, name=quoted(name or ""), tracks=_tracks(count))


def listing(scope: str, entries: Sequence[tuple[str, int]], limit: int) -> Reply:
    """`entries`: each playlist's name and length, in order."""
    title = "🎼 " + (tr("This server's playlists") if scope == "server" else tr("Your playlists"))
    if not entries:
        hint = tr("None yet: `/playlist save` keeps the queue, `/playlist import` reads a file or a link.")
        return Reply(card=Card(title=title, description=hint), ephemeral=True)
    lines = [f"{quoted(name)} · {_tracks(count)}" for name, count in entries]
    footer = trn("{shown} of {count} playlist", "{shown} of {count} playlists", limit, shown=number(len(entries)))
    return Reply(card=Card(title=title, description="\n".join(lines), footer=footer), ephemeral=True)


def page(name: str, tracks: Sequence[Track], page_index: int, total: int) -> Reply:
    """One page of a playlist's entries, numbered as `/playlist remove` takes them."""
    pages = max(1, -(-total // PAGE_SIZE))
    start = page_index * PAGE_SIZE
    lines = [f"`{start + n}.` {track_link(track)} · {duration(track.duration_ms)}" for n, track in enumerate(tracks, 1)]
    description = "\n".join(lines) or (tr("This playlist is empty.") if total == 0 else tr("No entries on this page."))
    length = sum(track.duration_ms or 0 for track in tracks)
    footer = tr(
        "Page {page} of {pages} · {tracks} · this page {length}",
        page=number(page_index + 1),
        pages=number(pages),
        tracks=_tracks(total),
        length=duration(length),
    )
    card = Card(title=f"🎼 {escape(clip(name, 200))}", description=description, footer=footer)
    return Reply(card=card, ephemeral=True)


IMPORT_WORDS: Final[dict[ImportStatus, str]] = {
    ImportStatus.FOUND: mark("Found {count} tracks."),
    ImportStatus.NOT_ALLOWED: mark("That file is not on Discord's servers, so I won't download it."),
    ImportStatus.TOO_LARGE: mark("That file is larger than the limit of {limit_bytes}. Nothing was imported."),
    ImportStatus.TOO_MANY: mark("That has {count} tracks; a playlist holds at most {limit}. Nothing was imported."),
    ImportStatus.MALFORMED: mark(
        "That file is not a playlist I can read{where}: use the JSON `/playlist export` makes, or an M3U list of links."
    ),
    ImportStatus.REFUSED: mark("Nothing was imported: {refused}."),
    ImportStatus.NOTHING_FOUND: mark("There are no tracks in that to import."),
    ImportStatus.FAILED: mark("That could not be read: {problem}"),
}
"""`{count}` the entries found (or "more"), `{limit}` the entry limit, `{limit_bytes}` the size limit, `{where}` the
first bad line, `{refused}` which entries the URL guard refused and why, `{problem}` a resolve problem's sentence."""


def import_failure(result: ImportResult, limit: int, limit_bytes: int) -> str:
    problem = result.problem or Problem(kind=ProblemKind.JOB_FAILED)
    return tr(
        IMPORT_WORDS[result.status],
        count=number(result.count) if result.count is not None else tr("more"),
        limit=number(limit),
        limit_bytes=_size(limit_bytes),
        where=tr(" (line {line} is not a link)", line=number(result.line)) if result.line is not None else "",
        refused=_refused(result, problem),
        problem=failures.sentence(problem, subject=tr("That")),
    )


def _refused(result: ImportResult, problem: Problem) -> str:
    why = failures.refusal(problem) if problem.kind is ProblemKind.REFUSED else failures.sentence(problem)
    if result.count:
        return trn(
            "{count} track points where encore may not go ({why})",
            "{count} tracks point where encore may not go ({why})",
            result.count,
            why=why.rstrip("."),
        )
    return tr("that link is not allowed ({why})", why=why.rstrip("."))


def _tracks(count: int) -> str:
    return trn("{count} track", "{count} tracks", count)


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MiB"
    return f"{size / 1024:.0f} KiB" if size >= 1024 else trn("{count} byte", "{count} bytes", size)
