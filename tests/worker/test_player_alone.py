"""The player leaves a voice channel it has been alone in for the idle timeout (unless 24/7 mode is on)."""

from __future__ import annotations

import asyncio

import pytest

from shared.commands import JoinCommand, ListenersCommand
from shared.events import LeaveReason
from tests.factories import make_item
from tests.worker.test_player import GUILD, VOICE, Rig, rig  # noqa: F401 - the fixture is used by name

pytestmark = pytest.mark.timeout(40)


async def test_alone_for_the_timeout_leaves_even_while_playing(rig: Rig) -> None:  # noqa: F811 - fixture
    rig.audio.length_ms = 600_000
    await rig.stores.settings.update(GUILD, idle_timeout_s=10)
    await rig.queue(make_item(1, duration_ms=600_000))
    await rig.send(JoinCommand(voice_channel_id=VOICE))
    await rig.until_state(lambda s: s.now_playing is not None)
    await rig.send(ListenersCommand(count=0))
    await asyncio.sleep(5)
    await rig.send(ListenersCommand(count=1))  # somebody came back: the timer stops
    await asyncio.sleep(6)
    assert not rig.task.done()
    await rig.send(ListenersCommand(count=0))
    await asyncio.wait_for(rig.task, 12)
    left = [e for e in await rig.events() if e.kind == "player_left"]
    assert [e.reason for e in left] == [LeaveReason.ALONE]


async def test_always_on_stays_alone(rig: Rig) -> None:  # noqa: F811 - fixture
    await rig.stores.settings.update(GUILD, idle_timeout_s=10, always_on=True)
    await rig.send(JoinCommand(voice_channel_id=VOICE))
    await rig.send(ListenersCommand(count=0))
    await asyncio.sleep(12)
    assert not rig.task.done()
    assert (await rig.state()).voice_channel_id == VOICE
