"""Leave and come back: every /play after a /leave joins voice again and is heard.

A rapid /leave → /play used to leave about one guild in 20–60 silent: the channel-less voice update of the leave
reached the next owner's voice session and was taken for a kick of its new connection (docs/design.md, "Voice
updates belong to a request"). The cycles here leave while a track plays, after /stop, and with the /play sent the
moment the gateway acknowledged the /leave (racing the owner that carries the leave out).
"""

from __future__ import annotations

import time
from enum import StrEnum
from typing import Final

import pytest

from localdiscord.voice.connection import VoiceConnection
from tests.e2e.media import E2EMedia
from tests.e2e.stack import Stack
from tests.gateway.e2e import invoke
from tests.localdiscord.fixtures import NEXTCORD_WARNINGS

pytestmark = [*NEXTCORD_WARNINGS, pytest.mark.e2e, pytest.mark.timeout(600)]

CYCLES: Final = 51
"""With the first /play, 103 op 4 (a leave and a join per cycle): under the 110 gateway sends per 60 s after which
nextcord holds op 4 for up to a minute, which a test with more cycles per gateway process would hit."""
HEARD_S: Final = 0.3
"""Audio a cycle must hear on its new voice connection (enough for a 440 Hz estimate within a few Hz)."""


class Leave(StrEnum):
    PLAYING = "leave while a track plays"
    STOPPED = "leave after /stop"
    RACING = "/play right after /leave"


async def _heard_on_a_new_connection(stack: Stack, before: VoiceConnection | None, label: str) -> VoiceConnection:
    """Wait for a voice connection newer than ``before``, then for 440 Hz on it."""
    guild = stack.world.guild
    try:
        conn = await stack.fake.wait_for_voice_connection(guild, after=before, timeout=15)
    except TimeoutError as exc:
        raise AssertionError(f"{label}: no new voice connection\n{stack.tail_logs()}") from exc
    since = stack.fake.clock()
    try:
        heard = await stack.hear(HEARD_S, since=since, timeout_s=15)
    except AssertionError as exc:
        raise AssertionError(f"{label}: nothing heard on voice connection {conn.id}: {exc}") from exc
    frequency = heard.dominant_frequency(since, stack.fake.clock())
    assert abs(frequency - 440) < 6, f"{label}: heard {frequency:.0f} Hz"
    return conn


async def _leave(stack: Stack, kind: Leave, query: str) -> None:
    """Leave in the way ``kind`` names and send the next /play (racing: without waiting for the leave)."""
    if kind is Leave.STOPPED:
        await stack.command("stop")
        await stack.until_state(lambda s: s.now_playing is None)
    if kind is Leave.RACING:
        leave = await invoke(stack.world, "leave", stack.world.alice)
        await leave.response(20)  # the LeaveCommand is in the guild's stream; the owner has not acted on it yet
        await stack.command("play", {"query": query})
        return
    await stack.command("leave")
    await stack.until_state(lambda s: s.voice_channel_id is None)
    await stack.command("play", {"query": query})


async def test_every_play_after_a_rapid_leave_is_heard(stack: Stack, e2e_media: E2EMedia) -> None:
    kinds = list(Leave)
    await stack.command("play", {"query": e2e_media.url("a440.mp3")})
    conn = await _heard_on_a_new_connection(stack, None, "first /play")
    for cycle in range(CYCLES):
        kind = kinds[cycle % len(kinds)]
        query = f"{e2e_media.url('a440.mp3')}?cycle={cycle}-{time.time()}"
        await _leave(stack, kind, query)
        conn = await _heard_on_a_new_connection(stack, conn, f"cycle {cycle} ({kind.value})")
