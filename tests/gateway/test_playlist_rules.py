"""Saved playlists' pure rules: scopes, who may change what, names, positions, limits; the export files; the words
of every import outcome."""

from __future__ import annotations

import pytest

from gateway.commands.invocation import Invocation
from gateway.commands.permissions import Actor
from gateway.commands.playlist_files import document, m3u, stem
from gateway.commands.playlist_rules import (
    Scope,
    name_from,
    owner_of,
    parse_name,
    parse_position,
    parse_scope,
    require_change,
    require_fits,
)
from gateway.wording import playlists as words
from shared.errors import InvalidInputError, PermissionDeniedError
from shared.models import GuildSettings, Track
from shared.playlists import ImportResult, ImportStatus, OwnerKind, PlaylistDocument, PlaylistOwner
from worker.resolve.playlist_import import read_document

GUILD, ALICE, DJ_ROLE = 10, 20, 30


def invocation(*, roles: frozenset[int] = frozenset(), manage: bool = False) -> Invocation:
    actor = Actor(user_id=ALICE, role_ids=roles, manage_guild=manage, voice_channel_id=None)
    return Invocation(guild_id=GUILD, actor=actor, text_channel_id=None, bot_channel_id=None)


def test_scopes_and_owners() -> None:
    assert parse_scope(None) is Scope.MINE
    assert owner_of(Scope.MINE, invocation()) == PlaylistOwner(kind=OwnerKind.MEMBER, id=ALICE)
    assert owner_of(parse_scope("server"), invocation()) == PlaylistOwner(kind=OwnerKind.GUILD, id=GUILD)
    with pytest.raises(InvalidInputError):
        parse_scope("everyone")


def test_only_djs_change_the_servers_playlists_and_everyone_their_own() -> None:
    with_dj = GuildSettings(dj_role_id=DJ_ROLE)
    require_change(Scope.MINE, invocation(), with_dj)
    require_change(Scope.SERVER, invocation(roles=frozenset({DJ_ROLE})), with_dj)
    require_change(Scope.SERVER, invocation(manage=True), with_dj)
    require_change(Scope.SERVER, invocation(), GuildSettings())  # without a DJ role everyone counts
    with pytest.raises(PermissionDeniedError) as raised:
        require_change(Scope.SERVER, invocation(), with_dj)
    assert "Changing this server's playlists needs the DJ role" in raised.value.message


@pytest.mark.parametrize(
    ("raw", "name"), [("  Late   night ", "Late night"), ("x" * 50, "x" * 50), ("Ünïcode ✨", "Ünïcode ✨")]
)
def test_names_are_trimmed_and_kept(raw: str, name: str) -> None:
    assert parse_name(raw) == name


@pytest.mark.parametrize(
    ("raw", "words_in"),
    [
        (None, "Give the playlist a name"),
        ("   ", "Give"),
        ("x" * 51, "51 characters"),
        ("a\u202eb", "control"),
        ("a\x00", "control"),
    ],
)
def test_bad_names_are_refused(raw: str | None, words_in: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        parse_name(raw)
    assert words_in in raised.value.message


def test_names_from_titles_positions_and_limits() -> None:
    assert name_from(" My\u202e  mix ") == "My mix"
    assert name_from("y" * 80) == "y" * 50
    assert name_from("\u200b") is None and name_from(None) is None
    assert parse_position(1, 3) == 0 and parse_position(3, 3) == 2
    for position, total in ((0, 3), (4, 3), (1, 0)):
        with pytest.raises(InvalidInputError):
            parse_position(position, total)
    require_fits(4, 4)
    with pytest.raises(InvalidInputError) as raised:
        require_fits(5, 4)
    assert "at most 4 tracks; that would make 5" in raised.value.message


TRACKS = (
    Track(url="https://media.example/a.mp3", title="A\nwith a line break", duration_ms=183_456, artist="Ar"),
    Track(url="https://media.example/b.ogg", title="B, the second", duration_ms=240_000),
    Track(url="https://media.example/live", title="Live", duration_ms=None),
)


def test_the_exported_files_read_back() -> None:
    assert PlaylistDocument.model_validate_json(document("Mine", TRACKS)).tracks == TRACKS
    assert read_document(document("Mine", TRACKS).decode()).tracks == TRACKS
    text = m3u(TRACKS).decode()
    assert text.splitlines()[:3] == ["#EXTM3U", "#EXTINF:183.456,A with a line break", TRACKS[0].url]
    assert "#EXTINF:240,B, the second" in text and "#EXTINF:-1,Live" in text
    back = read_document(text).tracks
    assert [(t.url, t.duration_ms) for t in back] == [(t.url, t.duration_ms) for t in TRACKS]
    assert [t.title for t in back] == ["A with a line break", "B, the second", "Live"]
    assert stem("Late night / ☾") == "Late_night" and stem("☾") == "playlist"


@pytest.mark.parametrize("status", list(ImportStatus))
def test_every_import_outcome_has_words(status: ImportStatus) -> None:
    text = words.import_failure(ImportResult(status=status, count=3, line=2), 500, 1024 * 1024)
    assert text and "{" not in text
