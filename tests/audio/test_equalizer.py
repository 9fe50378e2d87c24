"""The equalizer through the real pipeline: three tones (60 Hz, 1 kHz, 8 kHz) decoded from the Opus FFmpeg made."""

from __future__ import annotations

import pytest

from localdiscord.voice.audio_analysis import pcm_window, peak_dbfs, tone_level_db
from localdiscord.voice.opus_codec import decode_packets
from shared.models import Equalizer, EqualizerPreset
from tests.audio.conftest import Media
from tests.audio.draining import drain
from tests.factories import make_stream
from worker.audio.ffmpeg_args import PlaybackMode, TrackRequest
from worker.audio.ffmpeg_source import SourceState
from worker.audio.opener import SourceOpener

TONES = (60.0, 1000.0, 8000.0)


async def _levels(opener: SourceOpener, media: Media, equalizer: Equalizer) -> dict[float, float]:
    """Each tone's level in dB over the middle two seconds."""
    source = await opener.open(TrackRequest(make_stream(media.path("tones3.wav"), ext="wav"), "t", equalizer=equalizer))
    try:
        frames = await drain(source)
        assert source.state is SourceState.ENDED, source.error
        assert source.mode is PlaybackMode.TRANSCODE
    finally:
        await source.aclose()
    pcm = pcm_window(decode_packets(frames), 0.5, 2.0)
    assert peak_dbfs(pcm) <= -0.1, "the limiter keeps a boosted band below full scale"
    return {tone: tone_level_db(pcm, tone) for tone in TONES}


async def _change(opener: SourceOpener, media: Media, preset: EqualizerPreset) -> dict[float, float]:
    flat = await _levels(opener, media, Equalizer())
    shaped = await _levels(opener, media, Equalizer.of_preset(preset))
    return {tone: shaped[tone] - flat[tone] for tone in TONES}


async def test_bass_raises_60_hz_and_leaves_8_khz(opener: SourceOpener, media: Media) -> None:
    change = await _change(opener, media, EqualizerPreset.BASS)
    assert change[60.0] >= 5.0, change
    assert abs(change[1000.0]) <= 1.0, change
    assert abs(change[8000.0]) <= 1.0, change
    assert change[60.0] - change[8000.0] >= 5.0, change


async def test_treble_raises_8_khz_and_leaves_60_hz(opener: SourceOpener, media: Media) -> None:
    change = await _change(opener, media, EqualizerPreset.TREBLE)
    assert change[8000.0] >= 4.0, change
    assert abs(change[60.0]) <= 1.0, change


@pytest.mark.parametrize(("hz", "gain"), [(1000, -12.0), (1000, 9.0)])
async def test_one_band_moves_its_tone_by_its_gain(opener: SourceOpener, media: Media, hz: int, gain: float) -> None:
    flat = await _levels(opener, media, Equalizer())
    shaped = await _levels(opener, media, Equalizer().with_gains({hz: gain}))
    assert shaped[1000.0] - flat[1000.0] == pytest.approx(gain, abs=1.5)
    assert abs(shaped[60.0] - flat[60.0]) <= 0.5 and abs(shaped[8000.0] - flat[8000.0]) <= 0.5
