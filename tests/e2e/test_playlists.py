"""Saved playlists through the whole stack: the gateway, two workers, redis-server, the fake Discord (whose CDN
serves the files members attach and the bot uploads) and the loopback media server.

save → list → show → load plays; export → import gives the same entries (JSON exactly, M3U its links, titles and
lengths); the server's playlists need the DJ role to change; and every bad input gets a clear ephemeral error and
changes nothing in Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Final

import pytest
from redis.asyncio import Redis

from gateway.stores.playlists import PlaylistStore
from localdiscord.fake_discord import FakeDiscord
from localdiscord.rest.attachments import Upload
from localdiscord.world.models import Member, Message
from shared import codec
from shared.models import Track
from shared.playlists import OwnerKind, PlaylistDocument, PlaylistOwner
from shared.settings_store import SettingsStore
from tests.e2e.media import E2EMedia
from tests.e2e.stack import Stack, started_stack
from tests.gateway.e2e import answer, assert_quiet, invoke_raw, raw_command, text_of
from tests.localdiscord.fixtures import NEXTCORD_WARNINGS

pytestmark = [*NEXTCORD_WARNINGS, pytest.mark.e2e, pytest.mark.timeout(240)]

ENTRIES: Final = 4
PER_OWNER: Final = 2
FILE_BYTES: Final = 4096


@pytest.fixture
async def stack(fake_discord: FakeDiscord, redis: Redis, redis_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    """Small limits, and the fake's CDN (on 127.0.0.1) as the host attachments come from."""
    gateway_env = {
        "ENCORE_GATEWAY__PLAYLIST_ENTRIES": str(ENTRIES),
        "ENCORE_GATEWAY__PLAYLISTS_PER_OWNER": str(PER_OWNER),
        "ENCORE_GATEWAY__PLAYLIST_FILE_BYTES": str(FILE_BYTES),
    }
    worker_env = {"ENCORE_WORKER__ATTACHMENT_HOSTS": "127.0.0.1"}
    logs = tmp_path / "logs"
    async with started_stack(
        fake_discord, redis, redis_url, logs, gateway_env=gateway_env, worker_env=worker_env
    ) as running:
        yield running


async def playlist(
    stack: Stack, sub: str, options: Mapping[str, object] | None = None, member: Member | None = None
) -> Message:
    _, reply = await answer(stack.world, "playlist", member or stack.world.alice, options, subcommand=sub, timeout_s=30)
    return reply


async def refused(
    stack: Stack, sub: str, options: Mapping[str, object] | None = None, member: Member | None = None
) -> str:
    """A refusal: an ephemeral warning, and nothing in Redis changed (the member's rate counter aside)."""
    before = await snapshot(stack)
    reply = await playlist(stack, sub, options, member)
    assert reply.ephemeral and reply.content.startswith("⚠️"), text_of(reply)
    assert await snapshot(stack) == before, f"/playlist {sub} {options} changed Redis"
    return reply.content


async def snapshot(stack: Stack) -> dict[str, bytes | None]:
    """Every saved playlist's index and entries, DUMPed (the player's state moves on while tracks play)."""
    found = [key async for key in stack.redis.scan_iter(match="encore:*playlist*", count=1000)]
    return {key.decode(): await stack.redis.dump(key) for key in sorted(found)}


async def suggested(stack: Stack, sub: str, typed: str, **options: object) -> list[dict[str, object]]:
    world = stack.world
    handle = await world.fake.interactions.autocomplete(
        "playlist", member=world.alice, channel=world.text, focused="name", options={"name": typed, **options},
        subcommand=sub,
    )  # fmt: skip
    return await handle.choices(10)


def files_of(stack: Stack, message: Message) -> dict[str, bytes]:
    return {a["filename"]: stack.fake.core.cdn.files[int(a["id"])].data for a in message.attachments}


def mine(member: Member) -> PlaylistOwner:
    return PlaylistOwner(kind=OwnerKind.MEMBER, id=member.user.id)


async def entries(stack: Stack, owner: PlaylistOwner, name: str) -> list[Track]:
    store = PlaylistStore(stack.redis, stack.keys)
    meta = await store.find(owner, name)
    assert meta is not None, f"no playlist {name}"
    return await store.entries(owner, meta)


async def test_save_list_show_load_plays_and_export_import_round_trips(stack: Stack, e2e_media: E2EMedia) -> None:
    await stack.command("play", {"query": e2e_media.url("a440.mp3")})
    await stack.command("play", {"query": e2e_media.url("steps.mp3")})
    await stack.until_state(lambda s: s.now_playing is not None)
    saved = await playlist(stack, "save", {"name": "Evening"})
    assert saved.ephemeral and "Saved **Evening** (2 tracks) to your playlists" in saved.content, saved.content
    listed = text_of(await playlist(stack, "list"))
    assert "**Evening** · 2 tracks" in listed and "1 of 2 playlists" in listed
    assert await suggested(stack, "load", "EVE") == [{"name": "Evening · 2 tracks", "value": "Evening"}]
    assert await suggested(stack, "show", "eve", scope="server") == [], "the server has none"
    shown = text_of(await playlist(stack, "show", {"name": "evening"}))
    assert "`1.`" in shown and "a440" in shown and "`2.`" in shown and "steps" in shown, shown
    await stack.command("stop")
    await stack.until_state(lambda s: s.now_playing is None)
    assert await stack.queue_titles() == []
    loaded = await playlist(stack, "load", {"name": "EVENING"})
    assert not loaded.ephemeral and "Queued 2 of 2 tracks from **Evening**" in loaded.content, loaded.content
    await stack.until_state(lambda s: s.now_playing is not None and "a440" in s.now_playing.track.title)
    since = stack.fake.clock()
    heard = await stack.hear(0.6, since=since)
    assert abs(heard.dominant_frequency(since, stack.fake.clock()) - 440) < 5, "the loaded playlist is heard"
    assert [title.startswith("steps") for title in await stack.queue_titles()] == [True]
    await export_and_import_back(stack)


async def export_and_import_back(stack: Stack) -> None:
    """Evening (two tracks) exported, and imported back from each file."""
    exported = await playlist(stack, "export", {"name": "Evening"})
    assert exported.ephemeral and "2 tracks as JSON" in exported.content, exported.content
    files = files_of(stack, exported)
    assert sorted(files) == ["Evening.json", "Evening.m3u"]
    original = await entries(stack, mine(stack.world.alice), "Evening")
    assert PlaylistDocument.model_validate_json(files["Evening.json"]).tracks == tuple(original)
    copy = await playlist(stack, "import", {"file": Upload("Evening.json", files["Evening.json"]), "name": "Copy"})
    assert copy.ephemeral and "Imported **Copy** (2 tracks)" in copy.content, copy.content
    assert await entries(stack, mine(stack.world.alice), "Copy") == original, "the JSON round trip is exact"

    queue_files = files_of(stack, await playlist(stack, "export"))
    assert sorted(queue_files) == ["queue.json", "queue.m3u"]
    assert queue_files["queue.m3u"].startswith(b"#EXTM3U\n#EXTINF:30")
    await playlist(stack, "delete", {"name": "Copy"})
    from_m3u = await playlist(stack, "import", {"file": Upload("Evening.m3u", files["Evening.m3u"])})
    assert "Imported **Evening** (2 tracks)" not in from_m3u.content, "the name is taken: a refusal"
    renamed = await playlist(stack, "rename", {"name": "Evening", "new_name": "Old evening"})
    assert "Renamed **Evening** to **Old evening**" in renamed.content, renamed.content
    from_m3u = await playlist(stack, "import", {"file": Upload("Evening.m3u", files["Evening.m3u"])})
    assert "Imported **Evening** (2 tracks)" in from_m3u.content, from_m3u.content
    m3u_entries = await entries(stack, mine(stack.world.alice), "Evening")
    assert [(t.url, t.title, t.duration_ms) for t in m3u_entries] == [
        (t.url, t.title, t.duration_ms) for t in original
    ], "M3U keeps links, titles and lengths"
    assert_quiet(stack.gateway.log() if stack.gateway else "")


async def test_server_playlists_need_the_dj_role_to_change(stack: Stack, e2e_media: E2EMedia) -> None:
    world = stack.world
    await SettingsStore(stack.redis, stack.keys).update(world.guild.id, dj_role_id=world.dj_role.id)
    await stack.command("play", {"query": e2e_media.url("a440.mp3")})
    await stack.until_state(lambda s: s.now_playing is not None)
    denied = await refused(stack, "save", {"name": "Shared", "scope": "server"})
    assert "needs the DJ role" in denied, denied
    by_dj = await playlist(stack, "save", {"name": "Shared", "scope": "server"}, member=world.dave)
    assert "to this server's playlists" in by_dj.content, by_dj.content
    assert "**Shared** · 1 track" in text_of(await playlist(stack, "list", {"scope": "server"}))
    assert "You have no playlist **Shared**" in await refused(stack, "show", {"name": "Shared"}), "not alice's own"
    for sub, options in (
        ("delete", {"name": "Shared", "scope": "server"}),
        ("rename", {"name": "Shared", "new_name": "Mine now", "scope": "server"}),
        ("remove", {"name": "Shared", "position": 1, "scope": "server"}),
        ("add", {"name": "Shared", "scope": "server"}),
    ):
        assert "needs the DJ role" in await refused(stack, sub, options), sub
    assert "Shared" in text_of(await playlist(stack, "export", {"name": "Shared", "scope": "server"})), "anyone reads"
    await playlist(stack, "delete", {"name": "Shared", "scope": "server"}, member=world.dave)
    assert "None yet" in text_of(await playlist(stack, "list", {"scope": "server"}))


def document(tracks: Sequence[Mapping[str, object]], **extra: object) -> bytes:
    body: dict[str, object] = {"format": "encore.playlist", "version": 1, "name": "Imported", "tracks": tracks}
    return codec.dumps(body | extra)


async def test_every_bad_input_gets_a_clear_ephemeral_error_and_changes_nothing(
    stack: Stack, e2e_media: E2EMedia
) -> None:
    world = stack.world
    await stack.command("play", {"query": e2e_media.url("a440.mp3")})
    await stack.until_state(lambda s: s.now_playing is not None)
    track = {"url": e2e_media.url("t220.mp3"), "title": "t220"}
    await playlist(stack, "import", {"file": Upload("four.json", document([track] * 4)), "name": "First"})
    for sub, options in (
        ("show", {"name": "Nope"}),
        ("load", {"name": "Nope"}),
        ("delete", {"name": "Nope"}),
        ("export", {"name": "Nope"}),
        ("rename", {"name": "Nope", "new_name": "Other"}),
        ("remove", {"name": "Nope", "position": 1}),
        ("add", {"name": "Nope"}),
    ):
        assert "You have no playlist **Nope**; `/playlist list` shows them" in await refused(stack, sub, options), sub
    assert "There is no entry 9: the playlist has 4" in await refused(stack, "remove", {"name": "First", "position": 9})
    assert "You already have a playlist called **first**" in await refused(stack, "save", {"name": "first"})
    assert "at most 50 characters" in await refused(stack, "rename", {"name": "First", "new_name": "x" * 51})
    assert "control or format" in await refused(stack, "save", {"name": "bad\u202ename"})
    await over_the_limits(stack, e2e_media)
    await bad_files(stack, e2e_media)
    await wrong_types(stack)
    assert len(await entries(stack, mine(world.alice), "First")) == 4
    assert_quiet(stack.gateway.log() if stack.gateway else "")


async def over_the_limits(stack: Stack, e2e_media: E2EMedia) -> None:
    """With First (four tracks) saved and one track playing."""
    track = {"url": e2e_media.url("t220.mp3"), "title": "t220"}
    for name in ("t220", "t330", "t550", "steps"):
        await stack.command("play", {"query": e2e_media.url(f"{name}.mp3")})
    assert "at most 4 tracks; that would make 5" in await refused(stack, "save", {"name": "Big"})
    five = document([track] * 5)
    assert "That has 5 tracks; a playlist holds at most 4" in await refused(
        stack, "import", {"file": Upload("5.json", five)}
    )
    add = {"name": "First", "query": e2e_media.url("t330.mp3")}
    assert "at most 4 tracks; that would make 5" in await refused(stack, "add", add)
    await playlist(stack, "import", {"file": Upload("one.json", document([track]))})
    third = {"file": Upload("x.json", document([track])), "name": "Third"}
    assert "You are at the limit of 2 playlists" in await refused(stack, "import", third)
    await playlist(stack, "delete", {"name": "Imported"})


async def bad_files(stack: Stack, e2e_media: E2EMedia) -> None:
    track = {"url": e2e_media.url("t220.mp3"), "title": "t220"}
    bad_files = {
        "extra.json": document([track], owner="me"),
        "types.json": document([{"url": e2e_media.url("t220.mp3"), "title": "t", "duration_ms": "long"}]),
        "cut.json": document([track])[:-5],
        "words.m3u": b"#EXTM3U\n" + e2e_media.url("t220.mp3").encode() + b"\nplay something nice\n",
    }
    for filename, content in bad_files.items():
        text = await refused(stack, "import", {"file": Upload(filename, content)})
        assert "not a playlist I can read" in text, filename
    assert "line 3 is not a link" in await refused(stack, "import", {"file": Upload("w.m3u", bad_files["words.m3u"])})
    assert "no tracks" in await refused(stack, "import", {"file": Upload("empty.json", document([]))})
    private = document([track, {"url": "http://10.1.2.3/secret.mp3", "title": "inside"}])
    text = await refused(stack, "import", {"file": Upload("private.json", private)})
    assert "1 track points where encore may not go (that host points to a private address)" in text, text
    text = await refused(stack, "import", {"link": "http://169.254.169.254/latest/meta-data"})
    assert "not allowed (that host points to a cloud metadata address)" in text, text

    downloads = len(stack.fake.core.cdn.downloads)
    huge = Upload("huge.json", b" " * (FILE_BYTES + 1))
    assert "too large" in await refused(stack, "import", {"file": huge})
    claims_huge = Upload("claims.json", document([track]), size=FILE_BYTES * 100)
    assert "too large" in await refused(stack, "import", {"file": claims_huge})
    assert len(stack.fake.core.cdn.downloads) == downloads, "nothing Discord says is too large was downloaded"
    claims_small = Upload("sneaky.json", b" " * (FILE_BYTES * 4) + document([track]), size=100)
    assert "larger than the limit" in await refused(stack, "import", {"file": claims_small}), "the bytes count"
    assert "one of the two" in await refused(stack, "import", {})
    both = {"file": Upload("one.json", document([track])), "link": e2e_media.url("t220.mp3")}
    assert "one of the two" in await refused(stack, "import", both)


async def wrong_types(stack: Stack) -> None:
    world = stack.world
    wrong: list[list[dict[str, object]]] = [
        [{"name": "name", "type": 3, "value": "First"}, {"name": "position", "type": 3, "value": "1"}],
        [{"name": "name", "type": 3, "value": "First"}, {"name": "position", "type": 4, "value": 1.5}],
    ]
    for leaves in wrong:
        raw = raw_command(world, "playlist", [{"type": 1, "name": "remove", "options": leaves}])
        assert "`position` must be a whole number" in await refused_raw(stack, raw)
    ghost = [{"type": 1, "name": "import", "options": [{"name": "file", "type": 11, "value": "123456789012345678"}]}]
    assert "`file` must be a file you attach" in await refused_raw(stack, raw_command(world, "playlist", ghost))


async def refused_raw(stack: Stack, data: dict[str, object]) -> str:
    before = await snapshot(stack)
    handle = await invoke_raw(stack.world, stack.world.alice, data)
    reply = await handle.reply(20)
    assert reply.ephemeral and reply.content.startswith("⚠️"), text_of(reply)
    assert await snapshot(stack) == before
    return reply.content
