"""Saved playlists in Redis: each change is one script that checks the limits and that the playlist is still the
one the caller read."""

from __future__ import annotations

from redis.asyncio import Redis

from gateway.stores.playlists import PlaylistStore, Write
from shared.keys import Keys
from shared.models import Track
from shared.playlists import OwnerKind, PlaylistOwner

ALICE = PlaylistOwner(kind=OwnerKind.MEMBER, id=77)
GUILD = PlaylistOwner(kind=OwnerKind.GUILD, id=77)


def tracks(*names: str) -> list[Track]:
    return [Track(url=f"https://media.example/{name}.mp3", title=name, duration_ms=1000) for name in names]


async def test_create_find_list_and_read(redis: Redis, keys: Keys) -> None:
    store = PlaylistStore(redis, keys)
    meta = store.new_meta("Chill", 5, 1)
    assert (await store.create(ALICE, meta, tracks("a", "b"), max_playlists=2)).outcome is Write.DONE
    assert await store.find(ALICE, "CHILL") == meta, "names are found whatever their case"
    assert await store.find(GUILD, "chill") is None, "a member's playlists are not the guild's of the same id"
    assert [t.title for t in await store.entries(ALICE, meta)] == ["a", "b"]
    assert [t.title for t in await store.entries(ALICE, meta, 1, 1)] == ["b"]
    ((summary),) = await store.summaries(ALICE)
    assert (summary.meta, summary.entries) == (meta, 2)


async def test_limits_and_taken_names_change_nothing(redis: Redis, keys: Keys) -> None:
    store = PlaylistStore(redis, keys)
    first = store.new_meta("one", 5, 1)
    await store.create(GUILD, first, tracks("a"), max_playlists=1)
    taken = await store.create(GUILD, store.new_meta("ONE", 5, 1), tracks("x"), max_playlists=5)
    assert taken.outcome is Write.NAME_TAKEN
    full = await store.create(GUILD, store.new_meta("two", 5, 1), tracks("x"), max_playlists=1)
    assert full.outcome is Write.TOO_MANY_PLAYLISTS
    over = await store.append(GUILD, first, tracks("b", "c"), max_entries=2)
    assert (over.outcome, over.length) == (Write.TOO_MANY_ENTRIES, 1)
    assert [t.title for t in await store.entries(GUILD, first)] == ["a"]
    assert await store.count(GUILD) == 1
    assert sorted(await redis.keys("*")) == sorted(
        [keys.playlists(GUILD).encode(), keys.playlist_entries(GUILD, first.id).encode()]
    )


async def test_append_remove_rename_delete(redis: Redis, keys: Keys) -> None:
    store = PlaylistStore(redis, keys)
    meta = store.new_meta("mix", 5, 1)
    await store.create(ALICE, meta, tracks("a"), max_playlists=5)
    added = await store.append(ALICE, meta, tracks("b", "a"), max_entries=3)
    assert (added.outcome, added.length) == (Write.DONE, 3)
    removed = await store.remove(ALICE, meta, 2)
    assert removed.outcome is Write.DONE and removed.removed is not None and removed.removed.title == "a"
    assert [t.title for t in await store.entries(ALICE, meta)] == ["a", "b"], "the entry at the index, not the first"
    assert (await store.remove(ALICE, meta, 5)).outcome is Write.NO_ENTRY
    other = store.new_meta("other", 5, 1)
    await store.create(ALICE, other, [], max_playlists=5)
    assert (await store.rename(ALICE, meta, "Other")).outcome is Write.NAME_TAKEN
    assert (await store.rename(ALICE, meta, "MIX")).outcome is Write.DONE, "a new case of the same name"
    assert (await store.rename(ALICE, meta, "again")).outcome is Write.CHANGED, "renamed since it was read"
    renamed = await store.find(ALICE, "mix")
    assert renamed is not None and renamed.name == "MIX" and renamed.id == meta.id
    assert (await store.append(ALICE, meta, tracks("z"), max_entries=9)).outcome is Write.CHANGED
    assert (await store.delete(ALICE, renamed)).outcome is Write.DONE
    assert await store.find(ALICE, "mix") is None
    assert not await redis.exists(keys.playlist_entries(ALICE, meta.id))


async def test_a_playlist_deleted_and_re_created_meanwhile_is_not_written(redis: Redis, keys: Keys) -> None:
    store = PlaylistStore(redis, keys)
    old = store.new_meta("same", 5, 1)
    await store.create(ALICE, old, tracks("a"), max_playlists=5)
    assert (await store.delete(ALICE, old)).outcome is Write.DONE
    new = store.new_meta("same", 6, 2)
    await store.create(ALICE, new, tracks("b"), max_playlists=5)
    assert (await store.remove(ALICE, old, 0)).outcome is Write.CHANGED
    assert (await store.delete(ALICE, old)).outcome is Write.CHANGED
    assert [t.title for t in await store.entries(ALICE, new)] == ["b"]


async def test_entries_that_do_not_validate_are_left_out(redis: Redis, keys: Keys) -> None:
    store = PlaylistStore(redis, keys)
    meta = store.new_meta("old", 5, 1)
    await store.create(ALICE, meta, tracks("a"), max_playlists=5)
    await redis.rpush(keys.playlist_entries(ALICE, meta.id), '{"url": 3}')  # type: ignore[misc]
    assert [t.title for t in await store.entries(ALICE, meta)] == ["a"]
    await redis.hset(keys.playlists(ALICE), "bad", "not json")  # type: ignore[misc]
    assert await store.find(ALICE, "bad") is None
    assert [s.meta.name for s in await store.summaries(ALICE)] == ["old"]
