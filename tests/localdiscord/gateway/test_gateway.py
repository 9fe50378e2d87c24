"""Gateway v10 at the protocol level, with a hand-written client (no nextcord)."""

from __future__ import annotations

import aiohttp
import pytest

from localdiscord.config import FakeConfig
from localdiscord.fake_discord import FakeDiscord
from tests.localdiscord.clients.raw import RawGateway


@pytest.mark.parametrize("compress", [True, False], ids=["zlib-stream", "plain"])
async def test_handshake_ready_and_guild_create(http: aiohttp.ClientSession, compress: bool) -> None:
    async with FakeDiscord() as fake:
        guild = await fake.create_guild("g")
        music = await fake.create_voice_channel(guild, "music")
        alice = await fake.create_member(guild, "alice")
        await fake.join_voice(alice, music)
        gateway = RawGateway(http, fake.gateway_url, fake.token, compress=compress)
        try:
            hello = await gateway.connect()
            assert hello == {"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None}
            ready = await gateway.identify()
            create = await gateway.wait_event("GUILD_CREATE")
            await gateway.send(1, ready["s"])
            assert (await gateway.wait_op(11)) == {"op": 11, "d": None, "s": None, "t": None}
        finally:
            await gateway.close()
        assert ready["s"] == 1 and create["s"] == 2
        d = ready["d"]
        assert d["resume_gateway_url"] == fake.gateway_url and "?" not in d["resume_gateway_url"]
        assert d["application"]["id"] == str(fake.application_id) and d["user"]["id"] == str(fake.bot_user_id)
        assert d["guilds"] == [{"id": str(guild.id), "unavailable": True}]
        members = {m["user"]["id"] for m in create["d"]["members"]}
        assert str(fake.bot_user_id) in members and str(alice.user.id) in members
        assert create["d"]["voice_states"][0]["user_id"] == str(alice.user.id)
        assert {c["name"]: c["type"] for c in create["d"]["channels"]} == {"music": 2}
        assert all(frame["op"] == 0 or frame["s"] is None for frame in gateway.frames)


async def test_bad_token_is_closed_with_4004(http: aiohttp.ClientSession) -> None:
    async with FakeDiscord() as fake:
        gateway = RawGateway(http, fake.gateway_url, "not-the-token")
        try:
            await gateway.connect()
            await gateway.send(2, {"token": "not-the-token", "properties": {}, "intents": 1})
            assert await gateway.wait_closed() == 4004
        finally:
            await gateway.close()


async def test_each_shard_gets_only_its_guilds(http: aiohttp.ClientSession) -> None:
    async with FakeDiscord(FakeConfig(shard_count=2)) as fake:
        guilds = [await fake.create_guild(f"g{i}") for i in range(6)]
        async with http.get(f"{fake.rest_base}/gateway/bot", headers={"Authorization": f"Bot {fake.token}"}) as reply:
            assert (await reply.json())["shards"] == 2
        seen: dict[int, set[str]] = {}
        for shard in (0, 1):
            gateway = RawGateway(http, fake.gateway_url, fake.token)
            try:
                await gateway.connect()
                ready = await gateway.identify(shard=[shard, 2])
                assert ready["d"]["shard"] == [shard, 2]
                seen[shard] = {g["id"] for g in ready["d"]["guilds"]}
            finally:
                await gateway.close()
        for guild in guilds:
            assert str(guild.id) in seen[(guild.id >> 22) % 2]
        assert seen[0].isdisjoint(seen[1]) and len(seen[0] | seen[1]) == 6


@pytest.mark.parametrize("as_string", [False, True], ids=["int-ids", "string-ids"])
async def test_voice_state_update_join_move_leave(http: aiohttp.ClientSession, as_string: bool) -> None:
    async with FakeDiscord() as fake:
        guild = await fake.create_guild("g")
        first = await fake.create_voice_channel(guild, "one")
        second = await fake.create_voice_channel(guild, "two")
        gateway = RawGateway(http, fake.gateway_url, fake.token)

        def ids(channel_id: int | None) -> dict[str, object]:
            def conv(x: int | None) -> object:
                return str(x) if as_string and x is not None else x

            return {"guild_id": conv(guild.id), "channel_id": conv(channel_id), "self_mute": False, "self_deaf": True}

        try:
            await gateway.connect()
            await gateway.identify()
            await gateway.send(4, ids(first.id))
            join = await gateway.wait_event("VOICE_SERVER_UPDATE")
            await gateway.send(4, ids(second.id))
            move = await gateway.wait_event("VOICE_SERVER_UPDATE", after=gateway.frames.index(join) + 1)
            mark = len(gateway.frames)
            await gateway.send(4, ids(None))
            leave = await gateway.wait_event("VOICE_STATE_UPDATE", after=mark)
        finally:
            await gateway.close()
        states = gateway.events("VOICE_STATE_UPDATE")
        assert [s["channel_id"] for s in states] == [str(first.id), str(second.id), None]
        assert {s["session_id"] for s in states} == {gateway.events("READY")[0]["session_id"]}
        assert states[0]["self_deaf"] is True and states[0]["member"]["user"]["id"] == str(fake.bot_user_id)
        assert join["d"]["endpoint"] == move["d"]["endpoint"] == fake.voice_endpoints[0]
        assert join["d"]["token"] != move["d"]["token"]
        assert leave["d"]["channel_id"] is None
        assert len(gateway.events("VOICE_SERVER_UPDATE")) == 2


async def test_members_joining_and_leaving_voice_are_dispatched(http: aiohttp.ClientSession) -> None:
    async with FakeDiscord() as fake:
        guild = await fake.create_guild("g")
        music = await fake.create_voice_channel(guild, "music")
        alice = await fake.create_member(guild, "alice")
        gateway = RawGateway(http, fake.gateway_url, fake.token)
        try:
            await gateway.connect()
            await gateway.identify()
            await fake.join_voice(alice, music)
            await fake.leave_voice(alice)
            await gateway.wait_event("VOICE_STATE_UPDATE")
            mark = gateway.frames.index(next(f for f in gateway.frames if f.get("t") == "VOICE_STATE_UPDATE"))
            await gateway.wait_event("VOICE_STATE_UPDATE", after=mark + 1)
        finally:
            await gateway.close()
        states = gateway.events("VOICE_STATE_UPDATE")
        assert [(s["user_id"], s["channel_id"]) for s in states] == [
            (str(alice.user.id), str(music.id)),
            (str(alice.user.id), None),
        ]


async def test_resume_replays_missed_dispatches(http: aiohttp.ClientSession) -> None:
    async with FakeDiscord() as fake:
        guild = await fake.create_guild("g")
        first = RawGateway(http, fake.gateway_url, fake.token)
        second = RawGateway(http, fake.gateway_url, fake.token)
        try:
            await first.connect()
            ready = await first.identify()
            await first.wait_event("GUILD_CREATE")
            await first.close()
            channel = await fake.create_text_channel(guild, "while-away")
            await second.connect()
            await second.send(6, {"token": fake.token, "session_id": ready["d"]["session_id"], "seq": 2})
            resumed = await second.wait_event("RESUMED")
            unknown = RawGateway(http, fake.gateway_url, fake.token)
            await unknown.connect()
            await unknown.send(6, {"token": fake.token, "session_id": "nope", "seq": 1})
            invalid = await unknown.wait_op(9)
            await unknown.close()
        finally:
            await second.close()
        replayed = [f for f in second.frames if f.get("op") == 0]
        assert [(f["t"], f["s"]) for f in replayed] == [("CHANNEL_CREATE", 3), ("RESUMED", 4)]
        assert replayed[0]["d"]["id"] == str(channel.id)
        assert resumed["d"]["_trace"]
        assert invalid["d"] is False
