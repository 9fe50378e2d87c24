"""The voice session's state machine over a scripted transport: credentials, close codes, speaking, sending."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest

from localdiscord.waiting import wait_until
from tests.voice.fakes import CHANNEL, FAST, GUILD, Events, FakeTransport, Gateway, creds
from worker.audio.frames import SILENCE_FRAME
from worker.voice.connection import VoiceStatus
from worker.voice.session import VoiceSession


@dataclass
class Rig:
    session: VoiceSession
    transport: FakeTransport
    gateway: Gateway
    events: Events

    async def connected(self) -> None:
        await self.session.connect(CHANNEL)
        await self.answer()
        assert await self.session.wait_connected(1.0)

    async def answer(self, requests: int = 1, **changes: object) -> None:
        """Feed what the gateway forwards once it carried out the session's ``requests``-th request."""
        await wait_until(lambda: len(self.gateway.requests) >= requests, 2.0, "the session")
        await self.session.feed_credentials(self.gateway.answer(**changes))


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    transport, gateway, events = FakeTransport(), Gateway(), Events()
    session = VoiceSession(GUILD, transport, gateway, on_state=events, timings=FAST)
    yield Rig(session, transport, gateway, events)
    await session.disconnect(leave=False)


async def test_connect_asks_for_a_voice_state_and_opens_with_the_answer(rig: Rig) -> None:
    await rig.session.connect(CHANNEL)
    assert rig.session.status() is VoiceStatus.CONNECTING
    await wait_until(lambda: rig.gateway.requests == [CHANNEL], 2.0, "the session")
    await rig.answer()
    assert await rig.session.wait_connected(1.0)
    assert rig.transport.opened == [rig.gateway.answer()]
    assert rig.session.is_connected()
    assert rig.events.statuses() == ["connecting", "connected"]


async def test_credentials_fed_before_connect_are_not_used(rig: Rig) -> None:
    await rig.session.feed_credentials(creds(token="old"))
    await rig.session.connect(CHANNEL)
    assert not await rig.session.wait_connected(0.1)
    await rig.answer(token="new")
    assert await rig.session.wait_connected(1.0)
    assert [c.token for c in rig.transport.opened] == ["new"]


async def test_a_leave_of_an_earlier_request_cannot_close_a_newer_connection(rig: Rig) -> None:
    """The silent rejoin: the previous owner's /leave (channel-less credentials that follow its own request) reaches
    the next owner's session as it starts to join, and again once it is connected. Neither is a kick."""
    stale_leave = creds(channel_id=None, token=None, endpoint=None, request_id="the-previous-owners-leave")
    await rig.session.connect(CHANNEL)
    await rig.session.feed_credentials(stale_leave)  # before the voice task first ran
    await rig.answer()
    assert await rig.session.wait_connected(1.0)
    await rig.session.feed_credentials(stale_leave)
    await asyncio.sleep(0.05)
    assert rig.session.is_connected()
    assert rig.transport.closed_by_us == []
    assert rig.session.channel_id == CHANNEL
    assert rig.events.statuses() == ["connecting", "connected"]


async def test_credentials_that_follow_an_earlier_request_are_never_opened(rig: Rig) -> None:
    """An owner that takes over reads the old owner's credentials from the command stream: not its answer."""
    await rig.session.connect(CHANNEL)
    await wait_until(lambda: rig.gateway.requests == [CHANNEL], 2.0, "the session")
    await rig.session.feed_credentials(creds(token="old-owner", request_id="the-old-owners-join"))
    assert not await rig.session.wait_connected(0.1)
    await rig.answer(token="ours")
    assert await rig.session.wait_connected(1.0)
    assert [c.token for c in rig.transport.opened] == ["ours"]


async def test_a_leave_that_predates_a_move_request_does_not_stop_the_move(rig: Rig) -> None:
    await rig.connected()
    left_before_the_move = rig.gateway.answer(channel_id=None, token=None, endpoint=None)
    await rig.session.connect(CHANNEL + 1)
    await rig.session.feed_credentials(left_before_the_move)
    await rig.answer(2, token="t2", channel_id=CHANNEL + 1)
    await wait_until(lambda: len(rig.transport.opened) == 2 and rig.session.is_connected(), 2.0, "the session")
    assert rig.session.channel_id == CHANNEL + 1


async def test_incomplete_credentials_wait_for_the_endpoint(rig: Rig) -> None:
    await rig.session.connect(CHANNEL)
    await rig.answer(endpoint=None)
    assert not await rig.session.wait_connected(0.1)
    await rig.answer()
    assert await rig.session.wait_connected(1.0)


async def test_no_credentials_means_needs_rejoin(rig: Rig) -> None:
    await rig.session.connect(CHANNEL)
    assert not await rig.session.wait_connected(2.0)
    assert rig.session.status() is VoiceStatus.NEEDS_REJOIN
    assert rig.transport.opened == []


async def test_4015_resumes_on_a_new_socket(rig: Rig) -> None:
    await rig.connected()
    rig.transport.server_close(4015)
    await wait_until(lambda: rig.transport.resumes == 1 and rig.session.is_connected(), 2.0, "the session")
    assert rig.session.stats.resumes == 1
    assert len(rig.transport.opened) == 1
    assert rig.events.statuses()[-2:] == ["reconnecting", "connected"]


@pytest.mark.parametrize("code", [1001, 1006, -1, 4000])
async def test_dropped_connections_resume(rig: Rig, code: int) -> None:
    await rig.connected()
    rig.transport.server_close(code)
    await wait_until(lambda: rig.transport.resumes == 1 and rig.session.is_connected(), 2.0, "the session")


async def test_a_failed_resume_identifies_again_with_the_same_credentials(rig: Rig) -> None:
    await rig.connected()
    rig.transport.resume_ok = False
    rig.transport.server_close(4015)
    await wait_until(lambda: len(rig.transport.opened) == 2 and rig.session.is_connected(), 2.0, "the session")
    assert rig.transport.opened == [rig.gateway.answer(), rig.gateway.answer()]
    assert rig.gateway.requests == [CHANNEL]


async def test_1000_closes(rig: Rig) -> None:
    await rig.connected()
    rig.transport.server_close(1000)
    await wait_until(lambda: rig.session.status() is VoiceStatus.CLOSED, 2.0, "the session")
    assert rig.transport.resumes == 0


async def test_4014_then_new_credentials_reconnects_without_a_request(rig: Rig) -> None:
    await rig.connected()
    rig.transport.server_close(4014)
    await wait_until(lambda: rig.session.status() is VoiceStatus.RECONNECTING, 2.0, "the session")
    await rig.answer(token="t2", endpoint="voice-b:443")
    await wait_until(rig.session.is_connected, 2.0, "the session")
    assert [c.endpoint for c in rig.transport.opened] == ["voice-a:443", "voice-b:443"]
    assert rig.gateway.requests == [CHANNEL]


async def test_4014_without_credentials_needs_rejoin(rig: Rig) -> None:
    await rig.connected()
    rig.transport.server_close(4014)
    await wait_until(lambda: rig.session.status() is VoiceStatus.NEEDS_REJOIN, 2.0, "the session")
    assert rig.session.last_event.close_code == 4014
    assert len(rig.transport.opened) == 1


async def test_4014_and_a_leave_means_kicked(rig: Rig) -> None:
    await rig.connected()
    rig.transport.server_close(4014)
    await rig.answer(channel_id=None, token="", endpoint=None)
    await wait_until(lambda: rig.session.status() is VoiceStatus.CLOSED, 2.0, "the session")
    assert rig.session.last_event.detail == "disconnected from the voice channel"


async def test_a_leave_while_connected_closes_without_asking_to_leave(rig: Rig) -> None:
    await rig.connected()
    await rig.answer(channel_id=None, token="", endpoint=None)
    await wait_until(lambda: rig.session.status() is VoiceStatus.CLOSED, 2.0, "the session")
    assert rig.gateway.requests == [CHANNEL]
    assert not rig.session.is_connected()


async def test_4006_asks_for_a_fresh_voice_state_and_ignores_the_dead_session(rig: Rig) -> None:
    await rig.connected()
    dead = rig.gateway.answer()
    rig.transport.server_close(4006)
    await wait_until(lambda: rig.gateway.requests == [CHANNEL, CHANNEL], 2.0, "the session")
    assert rig.gateway.request_ids[0] != rig.gateway.request_ids[1]
    await rig.session.feed_credentials(dead.model_copy(update={"updated_at_ms": 5}))  # a late write, not the answer
    await asyncio.sleep(0.05)
    assert len(rig.transport.opened) == 1
    await rig.answer(2, token="t2")
    await wait_until(rig.session.is_connected, 2.0, "the session")
    assert [c.token for c in rig.transport.opened] == ["t1", "t2"]


async def test_4017_fails_loudly_once(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, "worker.voice")
    await rig.connected()
    rig.transport.server_close(4017)
    await wait_until(lambda: rig.session.status() is VoiceStatus.FAILED, 2.0, "the session")
    await asyncio.sleep(0.1)
    assert rig.session.last_event.close_code == 4017
    assert "DAVE" in rig.session.last_event.detail
    assert any("4017" in r.getMessage() and "DAVE" in r.getMessage() for r in caplog.records)
    assert len(rig.transport.opened) == 1
    assert rig.transport.resumes == 0
    assert rig.gateway.requests == [CHANNEL]


async def test_4017_during_the_handshake_fails_without_retrying(rig: Rig) -> None:
    rig.transport.open_failures = [4017]
    await rig.session.connect(CHANNEL)
    await rig.answer()
    assert not await rig.session.wait_connected(1.0)
    assert rig.session.status() is VoiceStatus.FAILED
    assert len(rig.transport.opened) == 1


async def test_repeated_failures_give_up(rig: Rig) -> None:
    rig.transport.open_failures = [4006] * 10
    await rig.session.connect(CHANNEL)

    def asked_or_failed(n: int) -> Callable[[], bool]:
        return lambda: len(rig.gateway.requests) == n or rig.session.status() is VoiceStatus.FAILED

    for n in range(1, 5):
        await wait_until(asked_or_failed(n), 2.0, "the session")
        await rig.session.feed_credentials(rig.gateway.answer(token=f"t{n}"))
    await wait_until(lambda: rig.session.status() is VoiceStatus.FAILED, 2.0, "the session")
    assert "gave up" in rig.session.last_event.detail


async def test_new_credentials_while_connected_switch_servers(rig: Rig) -> None:
    await rig.connected()
    await rig.answer(token="t2", endpoint="voice-b:443")
    await wait_until(lambda: len(rig.transport.opened) == 2 and rig.session.is_connected(), 2.0, "the session")
    assert rig.transport.opened[-1].endpoint == "voice-b:443"
    assert rig.transport.closed_by_us == [4000]


async def test_the_same_credentials_again_change_nothing(rig: Rig) -> None:
    await rig.connected()
    await rig.answer()
    await asyncio.sleep(0.05)
    assert len(rig.transport.opened) == 1
    assert rig.transport.closed_by_us == []


async def test_connect_to_another_channel_is_a_move(rig: Rig) -> None:
    await rig.connected()
    await rig.session.connect(CHANNEL + 1)
    assert rig.gateway.requests == [CHANNEL, CHANNEL + 1]
    await rig.answer(2, token="t2", channel_id=CHANNEL + 1)
    await wait_until(lambda: len(rig.transport.opened) == 2 and rig.session.is_connected(), 2.0, "the session")
    await rig.session.connect(CHANNEL + 1)
    assert rig.gateway.requests == [CHANNEL, CHANNEL + 1]


async def test_credentials_of_another_guild_are_ignored(rig: Rig) -> None:
    await rig.session.connect(CHANNEL)
    await rig.answer(guild_id=GUILD + 1)
    assert not await rig.session.wait_connected(0.1)


async def test_send_opus_drops_while_disconnected_and_never_sends_ogg_headers(rig: Rig) -> None:
    rig.session.send_opus(b"\xfc\x01\x02")
    assert rig.session.stats.frames_dropped == 1
    await rig.connected()
    rig.session.send_opus(b"OpusHead\x01\x02\x38\x01")
    rig.session.send_opus(b"OpusTags\x00\x00\x00\x00")
    rig.session.send_opus(b"\xfc\x01\x02")
    assert rig.transport.frames == [b"\xfc\x01\x02"]
    assert rig.session.stats.headers_dropped == 2
    assert rig.session.stats.frames_sent == 1


async def test_speaking_off_sends_five_silence_frames_first(rig: Rig) -> None:
    await rig.connected()
    rig.session.set_speaking(True)
    await wait_until(lambda: rig.transport.spoken == [True], 2.0, "the session")
    rig.session.set_speaking(False)
    await wait_until(lambda: rig.transport.spoken == [True, False], 2.0, "the session")
    assert rig.transport.frames == [SILENCE_FRAME] * 5
    assert rig.session.stats.silence_frames == 5


async def test_speaking_on_again_cuts_the_silence_short(rig: Rig) -> None:
    await rig.connected()
    rig.session.set_speaking(True)
    await wait_until(lambda: rig.transport.spoken == [True], 2.0, "the session")
    rig.session.set_speaking(False)
    await wait_until(lambda: len(rig.transport.frames) >= 1, 2.0, "the session")
    rig.session.set_speaking(True)
    cut_at = len(rig.transport.frames)
    await asyncio.sleep(6 * 0.02)  # longer than the five 20 ms silence frames would take
    assert rig.transport.spoken == [True]
    assert cut_at < 5
    assert len(rig.transport.frames) == cut_at


async def test_sending_a_frame_turns_speaking_on_and_reconnects_restore_it(rig: Rig) -> None:
    await rig.connected()
    rig.session.send_opus(b"\xfc\x00")
    await wait_until(lambda: rig.transport.spoken == [True], 2.0, "the session")
    rig.transport.server_close(4015)
    await wait_until(lambda: rig.transport.spoken == [True, True], 2.0, "the session")


async def test_disconnect_with_leave_asks_the_gateway_to_leave(rig: Rig) -> None:
    await rig.connected()
    await rig.session.disconnect(leave=True)
    assert rig.gateway.requests == [CHANNEL, None]
    assert rig.transport.released == 1
    assert rig.session.status() is VoiceStatus.CLOSED
    assert not await rig.session.wait_connected(0.1)


async def test_disconnect_while_waiting_for_credentials(rig: Rig) -> None:
    await rig.session.connect(CHANNEL)
    await wait_until(lambda: rig.gateway.requests == [CHANNEL], 2.0, "the session")
    await rig.session.disconnect(leave=False)
    await rig.answer()
    assert rig.transport.opened == []
    assert rig.session.status() is VoiceStatus.CLOSED


async def test_connect_again_after_a_failure(rig: Rig) -> None:
    await rig.connected()
    rig.transport.server_close(4017)
    await wait_until(lambda: rig.session.status() is VoiceStatus.FAILED, 2.0, "the session")
    await rig.session.connect(CHANNEL)
    await rig.answer(2, token="t2")
    assert await rig.session.wait_connected(1.0)


async def test_a_failing_gateway_callback_is_retried(rig: Rig) -> None:
    calls: list[str] = []

    async def flaky(channel_id: int | None, request_id: str) -> None:
        calls.append(request_id)
        if len(calls) == 1:
            raise ConnectionError("redis is down")

    session = VoiceSession(GUILD, rig.transport, flaky, timings=FAST)
    await session.connect(CHANNEL)
    await wait_until(lambda: len(calls) == 2, 2.0, "the session")
    assert calls[0] == calls[1], "a retried request is the same request"
    await session.feed_credentials(creds(request_id=calls[-1]))
    assert await session.wait_connected(1.0)
    await session.disconnect(leave=False)


async def test_a_failing_listener_does_not_break_the_session(rig: Rig) -> None:
    def broken(_event: object) -> None:
        raise RuntimeError("listener bug")

    session = VoiceSession(GUILD, rig.transport, rig.gateway, on_state=broken, timings=FAST)
    await session.connect(CHANNEL)
    await wait_until(lambda: bool(rig.gateway.requests), 2.0, "the session")
    await session.feed_credentials(rig.gateway.answer())
    assert await session.wait_connected(1.0)
    await session.disconnect(leave=False)


async def test_older_credentials_are_ignored(rig: Rig) -> None:
    await rig.session.connect(CHANNEL)
    await rig.answer(token="new", updated_at_ms=2000)
    await rig.answer(token="old", updated_at_ms=1000)
    assert await rig.session.wait_connected(1.0)
    assert [c.token for c in rig.transport.opened] == ["new"]


async def test_a_move_by_a_moderator_is_followed_and_rejoins_go_there(rig: Rig) -> None:
    await rig.connected()
    await rig.answer(token="t2", channel_id=CHANNEL + 5)
    await wait_until(lambda: len(rig.transport.opened) == 2 and rig.session.is_connected(), 2.0, "the session")
    assert rig.session.channel_id == CHANNEL + 5
    rig.transport.server_close(4006)
    await wait_until(lambda: len(rig.gateway.requests) == 2, 2.0, "the session")
    assert rig.gateway.requests == [CHANNEL, CHANNEL + 5]


async def test_silence_sent_by_the_pacer_itself_is_not_doubled(rig: Rig) -> None:
    await rig.connected()
    rig.session.send_opus(b"\xfc\x01")
    for _ in range(5):
        rig.session.send_opus(SILENCE_FRAME)
    rig.session.set_speaking(False)
    await wait_until(lambda: rig.transport.spoken == [True, False], 2.0, "the session")
    assert rig.transport.frames == [b"\xfc\x01"] + [SILENCE_FRAME] * 5
    assert rig.session.stats.silence_frames == 0


async def test_the_speaking_op_is_written_before_set_speaking_returns(rig: Rig) -> None:
    await rig.connected()
    rig.session.set_speaking(True)
    assert rig.transport.spoken == [True]
