"""Every script touches the keys of one owner only (a guild, a member's playlists, a search provider's breaker),
under one hash tag, so it runs on Redis Cluster; a guild's scripts all land in that guild's slot.

Against a real redis-server in cluster mode (one node holding every slot): each script of shared/lua/ is run through the
store that calls it. Redis itself refuses declared keys of different slots (CROSSSLOT); MONITOR shows every command a
script ran inside, and the test checks that each of those touched only keys the script was given, all in one slot
(CLUSTER KEYSLOT). RESCUE is the one worker-wide script (arq's keys, the worker registry): it is not per guild and not
run here.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from gateway.stores.playlists import PlaylistStore
from gateway.stores.rate import RateLimitStore
from gateway.stores.votes import SkipVoteStore
from localdiscord.waiting import wait_until_async
from shared import lua
from shared.keys import Keys
from shared.lease_store import LeaseStore
from shared.models import PlayerState, Track
from shared.player_store import PlayerStore
from shared.playlists import OwnerKind, PlaylistMeta, PlaylistOwner
from shared.queue_store import QueueLimits, QueueStore
from shared.tick_store import Checkpoint, TickStore, TickWrite
from tests.factories import make_item
from tests.services.redis_server import RedisServer
from worker.resolve.breaker_store import BreakerPolicy, BreakerStore

GUILD = 4242
WORKER_WIDE = {"RESCUE"}
_ARG = re.compile(rb'"((?:[^"\\]|\\.)*)"')


def _sha(script: str) -> str:
    return hashlib.sha1(script.encode()).hexdigest()


PER_GUILD = {
    _sha(text): name
    for name, text in vars(lua).items()
    if name.isupper() and not name.startswith("_") and isinstance(text, str) and name not in WORKER_WIDE
}


async def _command(redis: Redis, *args: object) -> Any:
    """A command redis-py has no typed method for (on a plain client: CLUSTER, COMMAND GETKEYS)."""
    return await redis.execute_command(*args)  # type: ignore[no-untyped-call]


@pytest.fixture
async def cluster_node(tmp_path: Path) -> AsyncIterator[RedisServer]:
    server = RedisServer(data_dir=tmp_path / "cluster", cluster=True).start()
    client = Redis.from_url(server.url)
    await _command(client, "CLUSTER ADDSLOTSRANGE", 0, 16383)
    await wait_until_async(lambda: _cluster_ok(client), 10, "the cluster node serving every slot")
    await client.aclose()
    yield server
    server.stop()


async def _cluster_ok(client: Redis) -> bool:
    info = await _command(client, "CLUSTER INFO")
    return bool(info["cluster_state"] == "ok")


@dataclass
class ScriptCall:
    sha: str
    declared: list[bytes]
    inner: list[list[bytes]] = field(default_factory=list)


class Monitor:
    """Reads MONITOR: each script call a client made, with the commands it ran inside (scripts run atomically, so
    their commands follow the call's line, nothing in between)."""

    def __init__(self, reader: asyncio.StreamReader) -> None:
        self._reader = reader
        self.calls: list[ScriptCall] = []

    async def drain(self) -> None:
        while True:
            try:
                line = await asyncio.wait_for(self._reader.readline(), 0.3)
            except TimeoutError:
                return
            args = [bytes(a).decode("unicode_escape").encode("latin-1") for a in _ARG.findall(line)]
            if b"[0 lua]" in line and self.calls:
                self.calls[-1].inner.append(args)
            elif args and args[0].upper() in (b"EVALSHA", b"EVAL"):
                sha = args[1].decode() if args[0].upper() == b"EVALSHA" else _sha(args[1].decode())
                self.calls.append(ScriptCall(sha, args[3 : 3 + int(args[2])]))


async def _exercise(redis: Redis, keys: Keys) -> None:
    """Every per-guild script, through the store that runs it."""
    queue, players, leases = QueueStore(redis, keys), PlayerStore(redis, keys), LeaseStore(redis, keys)
    lease = await leases.acquire(GUILD, "w1", 5000)
    assert lease is not None
    fence, roomy = lease.fence, QueueLimits(100, 100)
    items = [make_item(n) for n in range(1, 6)]
    await queue.append(GUILD, items[:3], limits=roomy)
    await queue.append(GUILD, items[3:], limits=roomy, request_id="r1", chunk_index=0)
    radio = make_item(9).model_copy(update={"autoplay": True})
    await queue.append_radio(GUILD, fence, [radio], max_length=100)
    await queue.remove_radio(GUILD)
    await queue.move(GUILD, 0, 2)
    await queue.shuffle(GUILD)
    await queue.remove_at(GUILD, 0)
    await queue.remove_uid(GUILD, items[4].uid)
    state = PlayerState(now_playing=items[1], fence=fence)
    await players.save(GUILD, fence, state)
    await players.advance(GUILD, fence, state)
    await players.previous(GUILD, fence, state)
    await players.play_now(GUILD, fence, state, items[2].uid)
    await players.stop(GUILD, fence, PlayerState(fence=fence))
    await leases.renew(lease, 5000)
    await TickStore(redis, keys).write([TickWrite(lease, Checkpoint(fence, state))], 5000)
    await leases.release(lease, handoff=True)
    await leases.acquire(GUILD, "w2", 5000)
    await leases.release_dead(GUILD, "w2")
    await SkipVoteStore(redis, keys).vote(GUILD, items[1].uid, 7, {7, 8}, 2)
    await RateLimitStore(redis, keys, limit=5, window_s=1).hit(GUILD, 7)
    for owner in (PlaylistOwner(kind=OwnerKind.GUILD, id=GUILD), PlaylistOwner(kind=OwnerKind.MEMBER, id=7)):
        await _exercise_playlists(PlaylistStore(redis, keys), owner)
    breaker = BreakerStore(redis, keys, BreakerPolicy(threshold=1, window_ms=1000, cooldown_ms=1000))
    await breaker.blocked("youtube")
    await breaker.allow("youtube")


async def _exercise_playlists(store: PlaylistStore, owner: PlaylistOwner) -> None:
    meta = PlaylistMeta(id="ab" * 16, name="Evening", created_by=7, created_at_ms=1)
    track = Track(url="https://example.org/a", title="A")
    await store.create(owner, meta, [track], max_playlists=5)
    await store.append(owner, meta, [track], max_entries=10)
    await store.remove(owner, meta, 0)
    await store.rename(owner, meta, "Night")
    await store.delete(owner, meta.model_copy(update={"name": "Night"}))


async def _slot(redis: Redis, key: bytes) -> int:
    return int(await _command(redis, "CLUSTER KEYSLOT", key))


async def _keys_of(redis: Redis, command: list[bytes]) -> list[bytes]:
    found: list[bytes | str] = await _command(redis, "COMMAND GETKEYS", *command)
    return [key.encode() if isinstance(key, str) else key for key in found]


async def test_every_per_guild_script_touches_one_guilds_keys_in_one_slot(cluster_node: RedisServer) -> None:
    redis = Redis.from_url(cluster_node.url)
    reader, writer = await asyncio.open_connection("127.0.0.1", cluster_node.port)
    try:
        writer.write(b"MONITOR\r\n")
        await writer.drain()
        assert await reader.readline() == b"+OK\r\n"
        monitor = Monitor(reader)
        await _exercise(redis, Keys())
        await monitor.drain()
        ran = [call for call in monitor.calls if call.inner or call.sha in PER_GUILD]
        assert {PER_GUILD.get(call.sha, call.sha) for call in ran} == set(PER_GUILD.values()), "each script ran"
        for call in ran:
            await _check(redis, call)
    finally:
        writer.close()
        await redis.aclose()


async def _check(redis: Redis, call: ScriptCall) -> None:
    name = PER_GUILD.get(call.sha, call.sha)
    touched = [key for command in call.inner for key in await _keys_of(redis, command)]
    assert set(touched) <= set(call.declared), f"{name} touched keys it was not given: {touched}"
    slots = {await _slot(redis, key) for key in call.declared}
    assert len(slots) == 1, f"{name}: {call.declared} in {slots}"
    if any(f"{{{GUILD}}}".encode() in key for key in call.declared):
        assert slots == {await _slot(redis, Keys().queue(GUILD).encode())}, f"{name}: not in the guild's slot"
