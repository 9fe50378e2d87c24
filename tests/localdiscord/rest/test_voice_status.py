"""`PUT /channels/{id}/voice-status` and the permission arithmetic behind it, with a raw gateway client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from localdiscord.fake_discord import FakeDiscord
from localdiscord.world.models import Channel, Guild
from localdiscord.world.permissions import (
    ADMINISTRATOR,
    ALL,
    MANAGE_CHANNELS,
    SET_VOICE_CHANNEL_STATUS,
    VIEW_CHANNEL,
    Permissions,
)
from tests.localdiscord.clients.raw import RawGateway, raw_join
from tests.localdiscord.clients.rest import RestClient

BASIC = ((1 << 41) - 1) & ~ADMINISTRATOR & ~MANAGE_CHANNELS
"""@everyone's default permissions without ADMINISTRATOR and MANAGE_CHANNELS (and, as by default, without
SET_VOICE_CHANNEL_STATUS)."""


@pytest.fixture
async def api() -> AsyncIterator[RestClient]:
    async with FakeDiscord(dave_version=0) as fake, aiohttp.ClientSession() as http:
        yield RestClient(http, fake)


async def _guild(api: RestClient) -> tuple[Guild, Channel, Channel]:
    guild = await api.fake.create_guild("g")
    return guild, await api.fake.create_voice_channel(guild, "music"), await api.fake.create_text_channel(guild, "t")


def _status(channel: Channel) -> str | None:
    return channel.status


async def _joined(api: RestClient, guild: Guild, channel: Channel) -> RawGateway:
    gateway, _ = await raw_join(api.http, api.fake.gateway_url, api.fake.token, guild.id, channel.id)
    return gateway


async def test_set_and_clear_is_stored_and_dispatched(api: RestClient) -> None:
    guild, music, _ = await _guild(api)
    gateway = await _joined(api, guild, music)
    try:
        path = f"/channels/{music.id}/voice-status"
        status, body, _ = await api.call("PUT", path, {"status": "♪ Song — Artist"})
        assert (status, body) == (204, None) and music.status == "♪ Song — Artist"
        event = await gateway.wait_event("VOICE_CHANNEL_STATUS_UPDATE")
        assert event["d"] == {"id": str(music.id), "guild_id": str(guild.id), "status": "♪ Song — Artist"}
        assert (await api.call("GET", f"/channels/{music.id}"))[1]["status"] == "♪ Song — Artist"
        mark = len(gateway.frames)
        assert (await api.call("PUT", path, {"status": ""}))[0] == 204 and _status(music) is None
        cleared = await gateway.wait_event("VOICE_CHANNEL_STATUS_UPDATE", after=mark)
        assert cleared["d"]["status"] is None
        assert (await api.call("PUT", path, {"status": "x" * 500}))[0] == 204 and music.status == "x" * 500
        assert (await api.call("PUT", path, {"status": None}))[0] == 204 and music.status is None
    finally:
        await gateway.close()


async def test_bad_bodies_unknown_and_wrong_channels(api: RestClient) -> None:
    guild, music, text = await _guild(api)
    gateway = await _joined(api, guild, music)
    try:
        path = f"/channels/{music.id}/voice-status"
        status, error, _ = await api.call("PUT", path, {"status": "x" * 501})
        assert (status, error["code"]) == (400, 50035)
        assert error["errors"]["status"]["_errors"][0]["code"] == "BASE_TYPE_MAX_LENGTH"
        status, error, _ = await api.call("PUT", path, {"status": 5})
        assert (status, error["errors"]["status"]["_errors"][0]["code"]) == (400, "BASE_TYPE_STRING")
        assert music.status is None and gateway.events("VOICE_CHANNEL_STATUS_UPDATE") == []
        assert (await api.call("PUT", f"/channels/{text.id}/voice-status", {"status": "a"}))[1]["code"] == 50024
        assert (await api.call("PUT", "/channels/1/voice-status", {"status": "a"}))[:2] == (
            404,
            {"message": "Unknown Channel", "code": 10003},
        )
    finally:
        await gateway.close()


async def test_refused_without_the_permission_or_when_not_connected(api: RestClient) -> None:
    guild, music, _ = await _guild(api)
    other = await api.fake.create_voice_channel(guild, "other")
    everyone = guild.roles[guild.id]
    path = f"/channels/{music.id}/voice-status"
    # with ADMINISTRATOR (the fake's default @everyone) anything goes, even from outside the channel
    assert (await api.call("PUT", path, {"status": "admin"}))[0] == 204
    await api.fake.world.set_role_permissions(guild, everyone, BASIC)
    gateway = await _joined(api, guild, music)
    try:
        assert (await api.call("PUT", path, {"status": "a"}))[:2] == (
            403,
            {"message": "Missing Permissions", "code": 50013},
        )
        await api.fake.world.set_role_permissions(guild, everyone, BASIC | SET_VOICE_CHANNEL_STATUS)
        assert (await api.call("PUT", path, {"status": "in it"}))[0] == 204 and music.status == "in it"
        other_path = f"/channels/{other.id}/voice-status"
        assert (await api.call("PUT", other_path, {"status": "b"}))[1]["code"] == 50013, "not connected there"
        await api.fake.world.set_overwrite(other, api.fake.bot_user_id, member=True, allow=MANAGE_CHANNELS)
        assert (await api.call("PUT", other_path, {"status": "b"}))[0] == 204, "MANAGE_CHANNELS: from outside"
        await api.fake.world.set_overwrite(music, guild.id, deny=SET_VOICE_CHANNEL_STATUS)
        assert (await api.call("PUT", path, {"status": "c"}))[1]["code"] == 50013 and music.status == "in it"
        await api.fake.world.set_overwrite(music, guild.id, deny=VIEW_CHANNEL)
        assert (await api.call("PUT", path, {"status": "c"}))[1]["code"] == 50001
    finally:
        await gateway.close()
    channel_update = [e for e in gateway.events("CHANNEL_UPDATE") if e["id"] == str(music.id)][-1]
    assert channel_update["permission_overwrites"] == [
        {"id": str(guild.id), "type": 0, "allow": "0", "deny": str(VIEW_CHANNEL)}
    ]


async def test_permission_arithmetic(api: RestClient) -> None:
    guild, music, _ = await _guild(api)
    everyone = guild.roles[guild.id]
    await api.fake.world.set_role_permissions(guild, everyone, VIEW_CHANNEL)
    dj = await api.fake.world.create_role(guild, "dj", SET_VOICE_CHANNEL_STATUS)
    alice = await api.fake.create_member(guild, "alice", roles=[dj])
    bob = await api.fake.create_member(guild, "bob")
    assert Permissions(guild, alice.user.id).base() == VIEW_CHANNEL | SET_VOICE_CHANNEL_STATUS
    assert Permissions(guild, bob.user.id).in_channel(music) == VIEW_CHANNEL
    assert Permissions(guild, guild.owner_id).in_channel(music) == ALL
    await api.fake.world.set_overwrite(music, dj.id, deny=SET_VOICE_CHANNEL_STATUS)
    await api.fake.world.set_overwrite(music, guild.id, allow=SET_VOICE_CHANNEL_STATUS)
    assert Permissions(guild, alice.user.id).in_channel(music) == VIEW_CHANNEL, "a role's deny beats @everyone's allow"
    assert Permissions(guild, bob.user.id).in_channel(music) == VIEW_CHANNEL | SET_VOICE_CHANNEL_STATUS
    await api.fake.world.set_overwrite(music, alice.user.id, member=True, allow=SET_VOICE_CHANNEL_STATUS)
    assert Permissions(guild, alice.user.id).in_channel(music) & SET_VOICE_CHANNEL_STATUS, "the member's own wins"
    admin = await api.fake.world.create_role(guild, "admin", ADMINISTRATOR)
    carol = await api.fake.create_member(guild, "carol", roles=[admin])
    await api.fake.world.set_overwrite(music, guild.id, deny=VIEW_CHANNEL)
    assert Permissions(guild, carol.user.id).in_channel(music) == ALL
    assert Permissions(guild, bob.user.id).in_channel(music) == 0
