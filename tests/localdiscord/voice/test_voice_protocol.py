"""Voice gateway v8 + UDP at the protocol level, with a hand-written client (no nextcord)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import NamedTuple

import aiohttp
import orjson
import pytest

from localdiscord.config import AES_GCM, XCHACHA, FakeConfig
from localdiscord.fake_discord import FakeDiscord
from localdiscord.world.models import Channel, Guild, Member
from tests.localdiscord.clients.raw import RawGateway, RawVoice, raw_join
from tests.localdiscord.clients.tone import tone_frames

TRANSPORT_ONLY = FakeConfig(dave_version=0, require_dave=False)


async def _world(fake: FakeDiscord) -> tuple[Guild, Channel, Member]:
    guild = await fake.create_guild("proto")
    music = await fake.create_voice_channel(guild, "music")
    alice = await fake.create_member(guild, "alice")
    await fake.join_voice(alice, music)
    return guild, music, alice


class _Joined(NamedTuple):
    fake: FakeDiscord
    guild: Guild
    music: Channel
    alice: Member
    gateway: RawGateway
    voice: RawVoice
    """Not connected yet: the test calls ``voice.connect``."""


@contextlib.asynccontextmanager
async def _joined(
    http: aiohttp.ClientSession, config: FakeConfig = TRANSPORT_ONLY, *, mode: str = XCHACHA
) -> AsyncIterator[_Joined]:
    """A fake with alice in `music`; the bot's raw gateway has joined it, its voice client is made. Closed on exit."""
    async with FakeDiscord(config) as fake:
        guild, music, alice = await _world(fake)
        gateway, identify = await raw_join(http, fake.gateway_url, fake.token, guild.id, music.id)
        endpoint = identify.pop("endpoint")
        voice = RawVoice(endpoint, fake.ssl_context(), identify | {"max_dave_protocol_version": 0}, mode)
        try:
            yield _Joined(fake, guild, music, alice, gateway, voice)
        finally:
            await voice.close()
            await gateway.close()


@pytest.mark.parametrize("mode", [XCHACHA, AES_GCM])
async def test_rtp_in_both_aead_modes_is_decrypted_decoded_and_counted(http: aiohttp.ClientSession, mode: str) -> None:
    async with _joined(http, mode=mode) as joined:
        voice = joined.voice
        await voice.connect(http)
        assert voice.ready["modes"] == [XCHACHA, AES_GCM]
        assert voice.discovered == ("127.0.0.1", voice.udp.get_extra_info("sockname")[1])  # type: ignore[union-attr]
        voice.udp.sendto(b"\x01\x00\x00\x00\x00\x00\x00\x00", (voice.ready["ip"], voice.ready["port"]))  # type: ignore[union-attr]
        assert await asyncio.wait_for(voice.proto.received.get(), 2) == b"\x01\x00\x00\x00\x00\x00\x00\x00"
        frames = tone_frames(seconds=1.0)
        voice.send_frame(frames[0])  # before SPEAKING: a protocol error the fake counts
        await asyncio.sleep(0.05)  # let the fake's UDP reader take it in before the op arrives
        await voice.send(5, {"speaking": 1, "delay": 0, "ssrc": voice.ready["ssrc"]})
        await asyncio.sleep(0.05)
        for frame in [b"OpusHead\x01\x02", *frames[1:], *[b"\xf8\xff\xfe"] * 5]:
            voice.send_frame(frame)
            await asyncio.sleep(0.02)
        heard = await joined.fake.wait_for_audio(joined.music, seconds=0.9, listener=joined.alice)
        stats = joined.fake.stream_stats(joined.music)
        assert abs(heard.dominant_frequency() - 440.0) <= 5.0
        assert stats.frames == 56 and stats.transport_failures == 0 and stats.missing == 0
        assert (stats.before_speaking, stats.ogg_header_frames, stats.silence_frames) == (1, 1, 5)
        assert stats.passthrough_frames == 50 and stats.dave_frames == 0
        assert joined.fake.voice_connection(joined.guild).mode == mode  # type: ignore[union-attr]


@pytest.mark.parametrize("code", [1000, 4006, 4009, 4014, 4015, 4017, 4022])
async def test_close_codes_reach_the_client(http: aiohttp.ClientSession, code: int) -> None:
    async with _joined(http) as joined:
        await joined.voice.connect(http)
        await joined.fake.close_voice(joined.guild, code)
        assert await joined.voice.wait_closed() == code


@pytest.mark.parametrize(
    ("config", "change", "code"),
    [
        (TRANSPORT_ONLY, {"token": "wrong"}, 4004),
        (TRANSPORT_ONLY, {"session_id": "wrong"}, 4004),
        (FakeConfig(), {"max_dave_protocol_version": 0}, 4017),
        (FakeConfig(), {"max_dave_protocol_version": None}, 4017),
    ],
    ids=["bad-token", "bad-session", "dave-0", "dave-missing"],
)
async def test_identify_is_checked(
    http: aiohttp.ClientSession, config: FakeConfig, change: dict[str, object], code: int
) -> None:
    async with _joined(http, config) as joined:
        joined.voice.identify |= change
        with pytest.raises(ConnectionError):
            await joined.voice.connect(http)
        assert joined.voice.close_code == code


async def test_unknown_mode_is_closed_with_4016(http: aiohttp.ClientSession) -> None:
    async with _joined(http, mode="xsalsa20_poly1305") as joined:
        with pytest.raises(ConnectionError):
            await joined.voice.connect(http)
        assert joined.voice.close_code == 4016


async def test_messages_are_numbered_and_hello_ack_are_not(http: aiohttp.ClientSession) -> None:
    async with _joined(http) as joined:
        await joined.voice.connect(http)
        await joined.voice.send(3, {"t": 1234, "seq_ack": 2})
        await asyncio.sleep(0.1)
        numbered = {m["op"]: m.get("seq") for m in joined.voice.messages}
        assert numbered[8] is None and numbered[6] is None
        assert (numbered[2], numbered[4]) == (1, 2)
        assert next(m for m in joined.voice.messages if m["op"] == 6)["d"] == {"t": 1234}
        assert next(m for m in joined.voice.messages if m["op"] == 11)["d"] == {"user_ids": [str(joined.alice.user.id)]}
        conn = joined.fake.voice_connection(joined.guild)
        assert conn is not None and conn.heartbeats[-1].seq_ack == 2


@pytest.mark.parametrize("null_d", [True, False], ids=["d-null", "d-object"])
async def test_resume_after_4015_replays_unacknowledged_messages(http: aiohttp.ClientSession, null_d: bool) -> None:
    config = FakeConfig(dave_version=0, require_dave=False, resumed_d_null=null_d)
    async with _joined(http, config) as joined:
        await joined.voice.connect(http)
        await joined.fake.close_voice(joined.guild, 4015)
        assert await joined.voice.wait_closed() == 4015
        ident = joined.voice.identify
        async with http.ws_connect(f"wss://{joined.voice.endpoint}/?v=8", ssl=joined.fake.ssl_context()) as ws:
            resume = {"server_id": ident["server_id"], "session_id": ident["session_id"], "token": ident["token"]}
            await ws.send_str(orjson.dumps({"op": 7, "d": resume | {"seq_ack": 1}}).decode())
            got = [orjson.loads((await ws.receive(timeout=2)).data) for _ in range(4)]
            conn = joined.fake.voice_connection(joined.guild)
            assert conn is not None and conn.resumes == 1
        assert [m["op"] for m in got] == [8, 9, 4, 11]
        assert got[1]["d"] == (None if null_d else {})
        assert [m.get("seq") for m in got[2:]] == [2, 3]


async def test_strict_mode_closes_a_client_whose_seq_ack_lags(http: aiohttp.ClientSession) -> None:
    config = FakeConfig(dave_version=0, require_dave=False, strict_seq_ack=True)
    async with _joined(http, config) as joined:
        await joined.voice.connect(http)
        await asyncio.sleep(1.1)
        await joined.voice.send(3, {"t": 1, "seq_ack": 3})  # everything sent so far: accepted
        await asyncio.sleep(0.1)
        assert joined.voice.close_code is None
        await joined.voice.send(3, {"t": 2, "seq_ack": -1})
        assert await joined.voice.wait_closed() == 4020


async def test_voice_ends_with_4014_after_its_gateway_session_dies(http: aiohttp.ClientSession) -> None:
    async with _joined(http, FakeConfig(dave_version=0, require_dave=False, voice_grace=0.3)) as joined:
        await joined.voice.connect(http)
        await joined.gateway.close()  # the bot process died: no RESUME follows
        assert await joined.voice.wait_closed(timeout=3) == 4014
        assert joined.fake.bot_user_id not in joined.guild.voice_states


async def test_voice_survives_when_the_gateway_resumes_in_time(http: aiohttp.ClientSession) -> None:
    async with _joined(http, FakeConfig(dave_version=0, require_dave=False, voice_grace=0.5)) as joined:
        second = RawGateway(http, joined.fake.gateway_url, joined.fake.token)
        try:
            await joined.voice.connect(http)
            session_id = joined.voice.identify["session_id"]
            seq = max(f["s"] or 0 for f in joined.gateway.frames)
            await joined.gateway.close()
            await second.connect()
            await second.send(6, {"token": joined.fake.token, "session_id": session_id, "seq": seq})
            await second.wait_event("RESUMED")
            await asyncio.sleep(0.8)
            assert joined.voice.close_code is None and joined.fake.voice_connection(joined.guild) is not None
        finally:
            await second.close()
