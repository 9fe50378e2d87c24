"""The player's side of failover: a lease in doubt holds the audio, a lost lease stops everything, and a deposed
player never touches the voice connection again (against a real redis-server, stand-in media ports)."""

from __future__ import annotations

import asyncio

from shared.commands import JoinCommand, VoiceUpdateCommand
from tests.factories import make_item
from tests.worker.test_player import VOICE, Rig, rig  # noqa: F401 - the rig fixture
from worker.player.ports import HoldReason


async def _playing(rig: Rig) -> None:  # noqa: F811 - the fixture's name
    rig.audio.length_ms = 60_000
    await rig.queue(make_item(1))
    await rig.send(JoinCommand(voice_channel_id=VOICE))
    await rig.until_state(lambda s: s.position_ms >= 200)


async def test_a_lease_renewed_late_holds_the_audio_and_plays_on_once_renewed(rig: Rig) -> None:  # noqa: F811
    await _playing(rig)
    rig.lease.ok = False  # no renewal confirmed within TTL - 300 ms: in doubt, not lost
    await rig.until(lambda: HoldReason.LEASE in rig.audio.holding)
    held_at = rig.audio.playbacks[-1].position_ms
    await asyncio.sleep(0.3)
    assert rig.audio.playbacks[-1].position_ms == held_at, "a held track keeps its place"
    rig.lease.ok = True
    await rig.until(lambda: HoldReason.LEASE not in rig.audio.holding)
    await rig.until_state(lambda s: s.position_ms > held_at + 100)
    assert not rig.task.done(), "the player plays on"
    assert rig.voice.disconnects == []


async def test_a_lost_lease_stops_the_player_and_drops_voice_without_leaving(rig: Rig) -> None:  # noqa: F811
    await _playing(rig)
    rig.lease.ok, rig.lease.lost = False, True
    await asyncio.wait_for(rig.task, 5)
    assert rig.voice.disconnects == [False], "the voice connection is dropped; leaving is the new owner's call"


async def test_a_deposed_player_never_feeds_voice_credentials(rig: Rig) -> None:  # noqa: F811
    await _playing(rig)
    refreshes = rig.voice.refreshes
    rig.lease.ok = False
    await rig.send(VoiceUpdateCommand())
    await asyncio.sleep(0.2)
    assert rig.voice.refreshes == refreshes, "the credentials in Redis are the new owner's"
