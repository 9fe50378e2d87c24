"""Leave and come back: every /play after a /leave joins voice again and is heard."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.e2e.media import E2EMedia
from tests.e2e.stack import Stack
from tests.fakediscord.fixtures import NEXTCORD_WARNINGS

pytestmark = [*NEXTCORD_WARNINGS, pytest.mark.e2e, pytest.mark.timeout(180)]


async def test_play_after_leave_is_heard_every_time(stack: Stack, e2e_media: E2EMedia) -> None:
    for run in range(8):
        start = stack.fake.clock()
        await stack.command("play", {"query": f"{e2e_media.url('a440.mp3')}?run={run}-{time.time()}"})
        heard = await stack.hear(0.3, since=start, timeout_s=10)
        assert abs(heard.dominant_frequency(start, stack.fake.clock()) - 440) < 6, f"run {run}"
        await stack.command("leave")
        await stack.until_state(lambda s: s.voice_channel_id is None)
        await asyncio.sleep(0.1 * (run % 3))
