"""Voice forwarding and voice requests against real Redis, with a recording stand-in for Discord's op 4.

The forwarder must publish VoiceCredentials and then a VoiceUpdateCommand once both of Discord's events arrived
(in either order); the request consumer must drop deposed owners' requests and other shards' guilds.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import pytest

from gateway.events import voice_forwarder
from gateway.events.shards import ShardFilter
from gateway.events.voice_forwarder import VoiceForwarder
from gateway.events.voice_requests import Rejoiner, VoiceRequests
from gateway.stores.clients import Stores, Streams
from localdiscord.waiting import wait_until
from shared.clock import now_ms
from shared.commands import VoiceUpdateCommand
from shared.events import VoiceStateRequest
from shared.models import PlayerState, VoiceCredentials
from tests.gateway.doubles import GUILD, OTHER_VOICE, VOICE, store_state

BOT = 4_000_000
EVERY_SHARD = ShardFilter(None, None)


@dataclass
class RecordingVoice:
    """A VoiceControl that records joins and leaves (what would be gateway op 4)."""

    known: set[int] = field(default_factory=lambda: {GUILD})
    calls: list[tuple[str, int, int | None]] = field(default_factory=list)
    channels: dict[int, int | None] = field(default_factory=dict)
    request_ids: list[str | None] = field(default_factory=list)

    def knows(self, guild_id: int) -> bool:
        return guild_id in self.known

    def channel_of(self, guild_id: int) -> int | None:
        return self.channels.get(guild_id)

    async def join(self, guild_id: int, channel_id: int, request_id: str | None = None) -> bool:
        self.calls.append(("join", guild_id, channel_id))
        self.request_ids.append(request_id)
        self.channels[guild_id] = channel_id
        return True

    async def leave(self, guild_id: int, request_id: str | None = None) -> None:
        self.calls.append(("leave", guild_id, None))
        self.request_ids.append(request_id)
        self.channels[guild_id] = None


def forwarder(stores: Stores) -> VoiceForwarder:
    return VoiceForwarder(stores.voice, stores.commands, lambda: BOT, now_ms)


def build_requests(
    stores: Stores, streams: Streams, control: RecordingVoice, *, shards: ShardFilter = EVERY_SHARD
) -> VoiceRequests:
    return VoiceRequests(streams.voice_requests, stores.cursors, stores.leases, shards, now_ms, control)


async def voice_updates(stores: Stores) -> int:
    entries = await stores.commands.read_after(GUILD, "0-0")
    return sum(isinstance(entry.command, VoiceUpdateCommand) for entry in entries)


@pytest.mark.parametrize("server_first", [False, True])
async def test_join_publishes_once_both_events_arrived(stores: Stores, server_first: bool) -> None:
    voice = forwarder(stores)
    voice.follow(GUILD, "join-1")
    voice.begin(GUILD)
    if server_first:
        await voice.server_update(GUILD, "tok-1", "voice.test:443")
        assert await stores.voice.credentials(GUILD) is None
        await voice.state_update(GUILD, "sess-1", VOICE)
    else:
        await voice.state_update(GUILD, "sess-1", VOICE)
        assert await stores.voice.credentials(GUILD) is None
        await voice.server_update(GUILD, "tok-1", "voice.test:443")
    credentials = await stores.voice.credentials(GUILD)
    assert credentials is not None
    assert credentials.model_dump(exclude={"updated_at_ms"}) == {
        "guild_id": GUILD,
        "user_id": BOT,
        "channel_id": VOICE,
        "session_id": "sess-1",
        "token": "tok-1",
        "endpoint": "voice.test:443",
        "request_id": "join-1",
    }
    assert await voice_updates(stores) == 1


async def test_move_and_rejoin_publish_fresh_credentials(stores: Stores) -> None:
    voice = forwarder(stores)
    voice.begin(GUILD)
    await voice.state_update(GUILD, "sess-1", VOICE)
    await voice.server_update(GUILD, "tok-1", "voice.test:443")
    voice.begin(GUILD)  # the gateway moves the bot
    await voice.server_update(GUILD, "tok-2", "voice.test:443")
    await voice.state_update(GUILD, "sess-1", OTHER_VOICE)
    moved = await stores.voice.credentials(GUILD)
    assert moved is not None and (moved.channel_id, moved.token) == (OTHER_VOICE, "tok-2")
    assert await voice_updates(stores) == 2
    await voice.state_update(GUILD, "sess-1", OTHER_VOICE)  # a mute toggle: nothing to forward
    assert await voice_updates(stores) == 2


async def test_discord_initiated_changes(stores: Stores, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(voice_forwarder, "PAIR_WINDOW_S", 0.05)
    voice = forwarder(stores)
    voice.begin(GUILD)
    await voice.state_update(GUILD, "sess-1", VOICE)
    await voice.server_update(GUILD, "tok-1", "voice.test:443")
    await voice.server_update(GUILD, "tok-2", "voice2.test:443")  # voice server migration
    migrated = await stores.voice.credentials(GUILD)
    assert migrated is not None and migrated.endpoint == "voice2.test:443"
    await asyncio.sleep(0.1)
    await voice.state_update(GUILD, "sess-1", OTHER_VOICE)  # a moderator moved the bot: wait for the server update
    assert (await stores.voice.credentials(GUILD)) == migrated
    await voice.server_update(GUILD, "tok-3", "voice2.test:443")
    moved = await stores.voice.credentials(GUILD)
    assert moved is not None and (moved.channel_id, moved.token) == (OTHER_VOICE, "tok-3")
    await voice.state_update(GUILD, "sess-1", None)  # kicked
    kicked = await stores.voice.credentials(GUILD)
    assert kicked is not None and kicked.channel_id is None and kicked.token is None
    assert await voice_updates(stores) == 4


async def test_a_move_whose_server_update_came_first(stores: Stores) -> None:
    voice = forwarder(stores)
    voice.begin(GUILD)
    await voice.state_update(GUILD, "sess-1", VOICE)
    await voice.server_update(GUILD, "tok-1", "voice.test:443")
    await voice.server_update(GUILD, "tok-2", "voice.test:443")
    await voice.state_update(GUILD, "sess-1", OTHER_VOICE)
    moved = await stores.voice.credentials(GUILD)
    assert moved is not None and (moved.channel_id, moved.token) == (OTHER_VOICE, "tok-2")


async def test_leaving_tells_the_owner(stores: Stores) -> None:
    voice = forwarder(stores)
    voice.begin(GUILD)
    await voice.state_update(GUILD, "sess-1", VOICE)
    await voice.server_update(GUILD, "tok-1", "voice.test:443")
    await voice.left(GUILD)
    left = await stores.voice.credentials(GUILD)
    assert left is not None
    assert left == VoiceCredentials(
        guild_id=GUILD, user_id=BOT, channel_id=None, session_id="sess-1", updated_at_ms=left.updated_at_ms
    )
    assert await voice_updates(stores) == 2


async def test_what_is_forwarded_follows_the_last_request_carried_out(stores: Stores) -> None:
    """Discord's own changes (a moderator's move or kick) carry the tag of the last request; a leave its own."""
    voice = forwarder(stores)
    voice.follow(GUILD, "join-1")
    voice.begin(GUILD)
    await voice.state_update(GUILD, "sess-1", VOICE)
    await voice.server_update(GUILD, "tok-1", "voice.test:443")
    await voice.server_update(GUILD, "tok-2", "voice2.test:443")  # voice server migration
    migrated = await stores.voice.credentials(GUILD)
    assert migrated is not None and migrated.request_id == "join-1"
    voice.follow(GUILD, None)  # the gateway's own rejoin after a reconnect keeps the tag
    voice.begin(GUILD)
    await voice.state_update(GUILD, "sess-2", VOICE)
    await voice.server_update(GUILD, "tok-3", "voice.test:443")
    rejoined = await stores.voice.credentials(GUILD)
    assert rejoined is not None and (rejoined.token, rejoined.request_id) == ("tok-3", "join-1")
    voice.follow(GUILD, "leave-2")
    await voice.left(GUILD)
    left = await stores.voice.credentials(GUILD)
    assert left is not None and (left.channel_id, left.request_id) == (None, "leave-2")


async def test_a_leave_echo_before_the_joins_answer_is_not_forwarded(stores: Stores) -> None:
    """Discord answers op 4s in order: a channel-less state while a join waits for its state is an earlier leave."""
    voice = forwarder(stores)
    voice.follow(GUILD, "leave-1")
    await voice.left(GUILD)
    voice.follow(GUILD, "join-2")
    voice.begin(GUILD)
    await voice.state_update(GUILD, "sess-1", None)  # the leave's own VOICE_STATE_UPDATE, late
    assert await voice_updates(stores) == 1
    await voice.state_update(GUILD, "sess-1", VOICE)
    await voice.server_update(GUILD, "tok-1", "voice.test:443")
    joined = await stores.voice.credentials(GUILD)
    assert joined is not None and (joined.channel_id, joined.request_id) == (VOICE, "join-2")
    await voice.state_update(GUILD, "sess-1", None)  # after the join's answer: a kick, forwarded
    kicked = await stores.voice.credentials(GUILD)
    assert kicked is not None and (kicked.channel_id, kicked.request_id) == (None, "join-2")
    assert await voice_updates(stores) == 3


async def test_a_restarted_gateway_tags_with_the_stored_request(stores: Stores) -> None:
    before = forwarder(stores)
    before.follow(GUILD, "join-1")
    before.begin(GUILD)
    await before.state_update(GUILD, "sess-1", VOICE)
    await before.server_update(GUILD, "tok-1", "voice.test:443")
    after = forwarder(stores)  # a new gateway process: nothing in memory
    after.begin(GUILD)  # its rejoin after the reconnect
    await after.state_update(GUILD, "sess-2", VOICE)
    await after.server_update(GUILD, "tok-2", "voice.test:443")
    rejoined = await stores.voice.credentials(GUILD)
    assert rejoined is not None and (rejoined.token, rejoined.request_id) == ("tok-2", "join-1")


def request(
    channel: int | None, fence: int, *, at_ms: int = 0, guild_id: int = GUILD, request_id: str | None = None
) -> VoiceStateRequest:
    return VoiceStateRequest(guild_id=guild_id, channel_id=channel, fence=fence, at_ms=at_ms, request_id=request_id)


async def test_requests_from_deposed_owners_are_dropped(stores: Stores, streams: Streams) -> None:
    control = RecordingVoice()
    requests = build_requests(stores, streams, control)
    old = await stores.leases.acquire(GUILD, "old", 100)
    assert old is not None
    await asyncio.sleep(0.15)
    new = await stores.leases.acquire(GUILD, "new", 10_000)
    assert new is not None and new.fence > old.fence
    assert not await requests.handle(request(None, old.fence, request_id="old-leave"))
    assert await requests.handle(request(VOICE, new.fence, request_id="new-join"))
    assert await requests.handle(request(None, new.fence, request_id="new-leave"))
    assert control.calls == [("join", GUILD, VOICE), ("leave", GUILD, None)]
    assert control.request_ids == ["new-join", "new-leave"]


async def test_other_shards_unknown_guilds_and_old_requests_are_dropped(stores: Stores, streams: Streams) -> None:
    control = RecordingVoice()
    assert not await build_requests(stores, streams, control).handle(request(VOICE, 0, guild_id=GUILD + 1))
    other_shard = ShardFilter(2, frozenset({1 - (GUILD >> 22) % 2}))
    assert not await build_requests(stores, streams, control, shards=other_shard).handle(request(VOICE, 0))
    stale = request(VOICE, 0, at_ms=now_ms() - 120_000)
    assert not await build_requests(stores, streams, control).handle(stale)
    assert control.calls == []


async def test_the_consumer_resumes_from_its_stored_cursor(stores: Stores, streams: Streams) -> None:
    """Requests made while the gateway was down are carried out after it starts again."""
    control = RecordingVoice()
    ready = asyncio.Event()
    first = asyncio.create_task(build_requests(stores, streams, control).run(ready))
    await asyncio.wait_for(ready.wait(), 5)
    await stores.voice.request(request(VOICE, 0, at_ms=now_ms()))
    await wait_until(lambda: len(control.calls) == 1, 5.0, "one control call")
    first.cancel()
    await asyncio.gather(first, return_exceptions=True)
    await stores.voice.request(request(OTHER_VOICE, 0, at_ms=now_ms()))  # while "down"
    ready = asyncio.Event()
    second = asyncio.create_task(build_requests(stores, streams, control).run(ready))
    try:
        await wait_until(lambda: len(control.calls) == 2, 5.0, "two control calls")
        assert control.calls == [("join", GUILD, VOICE), ("join", GUILD, OTHER_VOICE)]
    finally:
        second.cancel()
        await asyncio.gather(second, return_exceptions=True)


async def test_rejoin_after_restart(stores: Stores) -> None:
    control = RecordingVoice()
    rejoiner = Rejoiner(stores.active, stores.players, EVERY_SHARD, control)
    assert not await rejoiner.rejoin(GUILD)  # not active
    await stores.active.mark(GUILD)
    assert not await rejoiner.rejoin(GUILD)  # no player state
    await store_state(stores, PlayerState(voice_channel_id=VOICE))
    assert await rejoiner.rejoin(GUILD)
    assert control.calls == [("join", GUILD, VOICE)]
