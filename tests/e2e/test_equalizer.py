"""`/eq` through the whole stack: the owner swaps the pipeline in place, the listener hears the bass raised without a
gap, and the curve survives a kill -9 of the owner (the next owner's FFmpeg runs it)."""

from __future__ import annotations

import asyncio

import pytest

from localdiscord.voice.audio_analysis import tone_level_db
from localdiscord.waiting import wait_until
from shared.models import Equalizer, EqualizerPreset
from tests.e2e.analysis import longest_silence_s
from tests.e2e.media import E2EMedia
from tests.e2e.stack import Stack
from tests.localdiscord.fixtures import NEXTCORD_WARNINGS
from tests.services.proc import children

pytestmark = [*NEXTCORD_WARNINGS, pytest.mark.e2e, pytest.mark.timeout(150)]

GAPLESS_S = 0.060
"""The longest silence a gapless change may leave (the bound the playlist test uses between tracks)."""


async def _levels(stack: Stack, seconds: float = 1.0) -> tuple[float, float]:
    """What the listener hears of 60 Hz and 8 kHz over the next `seconds`."""
    start = stack.fake.clock()
    await asyncio.sleep(seconds)
    pcm = stack.heard().pcm(start, stack.fake.clock())
    assert len(pcm) >= 48_000 * 4 * seconds * 0.8, stack.tail_logs()
    return tone_level_db(pcm, 60.0), tone_level_db(pcm, 8000.0)


async def _owner_pipelines(stack: Stack, url: str) -> list[list[str]]:
    owner = await stack.owner()
    assert owner is not None, stack.tail_logs()
    return [list(child.argv) for child in children(stack.workers[owner].pid) if url in child.argv]


def _graph(argv: list[str]) -> str:
    return argv[argv.index("-af") + 1] if "-af" in argv else ""


async def test_bass_preset_while_playing_is_heard_gaplessly_and_survives_a_kill_9(
    stack: Stack, e2e_media: E2EMedia
) -> None:
    url = e2e_media.url("bands.mp3")
    await stack.command("play", {"query": url})
    await stack.hear(1.0)
    flat_60, flat_8k = await _levels(stack)

    changed_at = stack.fake.clock()
    _, reply = await stack.command("eq", {"name": "bass"}, subcommand="preset")
    assert reply.content == "🎚 Equalizer: bass." and not reply.ephemeral, reply
    bass = Equalizer.of_preset(EqualizerPreset.BASS)
    state = await stack.until_state(lambda s: s.equalizer == bass)
    assert state.now_playing is not None and state.now_playing.track.title.startswith("bands")
    await asyncio.sleep(0.8)
    bass_60, bass_8k = await _levels(stack)
    gap = longest_silence_s(stack.heard(), changed_at - 0.5, stack.fake.clock())
    change = f"60 Hz {bass_60 - flat_60:+.1f} dB, 8 kHz {bass_8k - flat_8k:+.1f} dB"
    print(f"\n/eq preset bass: {change}, longest silence {gap * 1000:.0f} ms")
    assert bass_60 - flat_60 >= 4.0, (flat_60, bass_60)
    assert abs(bass_8k - flat_8k) <= 1.5, (flat_8k, bass_8k)
    assert gap <= GAPLESS_S, f"a {gap * 1000:.0f} ms gap at the equalizer change"
    pipelines = await _owner_pipelines(stack, url)
    assert len(pipelines) == 1 and "equalizer=f=25:" in _graph(pipelines[0]), pipelines

    victim = await stack.owner()
    assert victim is not None
    killed_at = stack.fake.clock()
    await stack.workers[victim].kill()
    taken = await stack.until_state(lambda s: s.fence > state.fence and s.now_playing is not None, timeout_s=30)
    assert taken.equalizer == bass, "the curve is part of the player state the next owner resumes"
    await stack.hear(1.0, since=killed_at + 0.5)
    new_owner = await stack.owner()
    assert new_owner is not None and new_owner != victim
    argv = await wait_until(
        lambda: next(iter(list(c.argv) for c in children(stack.workers[new_owner].pid) if url in c.argv), None),
        10.0,
        "the new owner's pipeline",
    )
    assert "equalizer=f=25:" in _graph(argv), argv
    after_60, _ = await _levels(stack)
    assert after_60 - flat_60 >= 4.0, "the new owner still raises the bass"


async def test_one_band_then_reset_back_to_no_equalizer_stage(stack: Stack, e2e_media: E2EMedia) -> None:
    url = e2e_media.url("bands.mp3")
    await stack.command("play", {"query": url})
    await stack.hear(0.5)
    bass = Equalizer.of_preset(EqualizerPreset.BASS)
    await stack.command("eq", {"name": "bass"}, subcommand="preset")
    _, reply = await stack.command("eq", {"band": 25, "gain": -3.5}, subcommand="band")
    assert reply.content == "🎚 Equalizer: 25 Hz set to −3.5 dB.", reply
    await stack.until_state(lambda s: s.equalizer == bass.with_gains({25: -3.5}))
    _, reply = await stack.command("eq", subcommand="reset")
    assert reply.content == "🎚 Equalizer reset to flat.", reply
    await stack.until_state(lambda s: s.equalizer.is_flat)
    await asyncio.sleep(0.8)
    pipelines = await _owner_pipelines(stack, url)
    assert len(pipelines) == 1 and "equalizer" not in _graph(pipelines[0]), pipelines
    _, shown = await stack.command("eq", subcommand="show")
    assert shown.ephemeral and shown.content.startswith("🎚 Equalizer: flat"), shown
