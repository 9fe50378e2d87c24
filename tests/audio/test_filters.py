from __future__ import annotations

import math

import pytest

from shared.models import EQ_BANDS_HZ, Equalizer, EqualizerPreset, FilterChain, FilterPreset
from worker.audio.filters import LIMITER, atempo_stages, build_filter_graph, equalizer_stages
from worker.audio.volume import volume_gain_db, volume_stage


@pytest.mark.parametrize(
    ("volume", "db"),
    [(200, 10.0), (150, 5.85), (100, 0.0), (75, -4.15), (50, -10.0), (25, -20.0), (10, -33.22), (1, -66.44)],
)
def test_volume_curve_is_minus_ten_db_per_halving(volume: int, db: float) -> None:
    gain = volume_gain_db(volume)
    assert gain is not None
    assert gain == pytest.approx(db, abs=0.01)


def test_volume_zero_is_mute_and_unity_has_no_stage() -> None:
    assert volume_gain_db(0) is None
    assert volume_stage(0) == "volume=0"
    assert volume_stage(100) is None


@pytest.mark.parametrize("volume", [-1, 201])
def test_volume_out_of_range_is_rejected(volume: int) -> None:
    with pytest.raises(ValueError, match="volume"):
        volume_gain_db(volume)


def test_identity_chain_at_unity_needs_no_filter() -> None:
    assert build_filter_graph(FilterChain(), 100) is None


def test_boost_is_followed_by_a_limiter() -> None:
    assert build_filter_graph(FilterChain(), 200) == f"volume=10.000dB,{LIMITER}"
    assert build_filter_graph(FilterChain(), 50) == "volume=-10.000dB"
    bass = build_filter_graph(FilterChain(presets=(FilterPreset.BASSBOOST,), bass_gain_db=6))
    assert bass == f"bass=g=6:f=110:w=0.6,{LIMITER}"


def test_presets_follow_stage_order_whatever_the_user_order() -> None:
    chain = FilterChain(
        presets=(FilterPreset.EIGHT_D, FilterPreset.TREMOLO, FilterPreset.KARAOKE, FilterPreset.NIGHTCORE),
        rotation_hz=0.2,
    )
    graph = build_filter_graph(chain, 80)
    assert graph is not None
    stages = graph.split(",")
    names = [s.split("=")[0] for s in stages]
    assert names == ["aresample", "asetrate", "aresample", "stereotools", "tremolo", "apulsator", "volume"]
    assert "asetrate=60000" in stages
    assert "apulsator=hz=0.2" in stages


def test_nightcore_and_vaporwave_relabel_the_rate() -> None:
    assert "asetrate=60000" in str(build_filter_graph(FilterChain(presets=(FilterPreset.NIGHTCORE,))))
    assert "asetrate=38400" in str(build_filter_graph(FilterChain(presets=(FilterPreset.VAPORWAVE,))))


def test_pitch_is_compensated_by_atempo() -> None:
    graph = build_filter_graph(FilterChain(pitch=1.5))
    assert graph == "aresample=48000,asetrate=72000,aresample=48000,atempo=0.666667"


@pytest.mark.parametrize("tempo", [0.25, 0.4, 0.5, 0.9, 1.5, 2.0, 3.0, 4.0])
def test_atempo_steps_stay_within_half_to_double(tempo: float) -> None:
    stages = atempo_stages(tempo)
    factors = [float(s.removeprefix("atempo=")) for s in stages]
    assert all(0.5 - 1e-6 <= f <= 2.0 + 1e-6 for f in factors)
    assert math.prod(factors) == pytest.approx(tempo, rel=1e-5)


def test_speed_and_pitch_multiply_to_the_rate_factor() -> None:
    chain = FilterChain(presets=(FilterPreset.NIGHTCORE,), speed=2.0, pitch=0.5)
    graph = str(build_filter_graph(chain))
    relabel = float(graph.split("asetrate=")[1].split(",")[0]) / 48000
    tempo = math.prod(float(s.removeprefix("atempo=")) for s in graph.split(",") if s.startswith("atempo="))
    assert relabel * tempo == pytest.approx(chain.rate_factor, rel=1e-5)


def test_a_flat_equalizer_adds_no_stage() -> None:
    assert build_filter_graph(FilterChain(), 100, Equalizer()) is None
    assert build_filter_graph(FilterChain(), 100, Equalizer.of_preset(EqualizerPreset.FLAT)) is None
    assert equalizer_stages(Equalizer()) == []


def test_the_bass_preset_is_one_peaking_band_per_raised_band_then_the_limiter() -> None:
    graph = build_filter_graph(FilterChain(), 100, Equalizer.of_preset(EqualizerPreset.BASS))
    assert graph == (
        "equalizer=f=25:t=o:w=0.67:g=6,equalizer=f=40:t=o:w=0.67:g=6,equalizer=f=63:t=o:w=0.67:g=5,"
        f"equalizer=f=100:t=o:w=0.67:g=4,equalizer=f=160:t=o:w=0.67:g=2.5,equalizer=f=250:t=o:w=0.67:g=1,{LIMITER}"
    )


def test_one_cut_band_is_one_stage_and_needs_no_limiter() -> None:
    graph = build_filter_graph(FilterChain(), 100, Equalizer().with_gains({1000: -3.5}))
    assert graph == "equalizer=f=1000:t=o:w=0.67:g=-3.5"


@pytest.mark.parametrize("preset", list(EqualizerPreset))
def test_every_preset_names_only_known_bands_within_range(preset: EqualizerPreset) -> None:
    stages = equalizer_stages(Equalizer.of_preset(preset))
    for stage in stages:
        fields = dict(part.split("=") for part in stage.removeprefix("equalizer=").split(":"))
        assert int(fields["f"]) in EQ_BANDS_HZ
        assert -12 <= float(fields["g"]) <= 12 and float(fields["g"]) != 0
    assert (stages == []) == (preset is EqualizerPreset.FLAT)


def test_the_equalizer_follows_tone_and_precedes_modulation_and_volume() -> None:
    chain = FilterChain(presets=(FilterPreset.TREMOLO, FilterPreset.NIGHTCORE, FilterPreset.KARAOKE))
    graph = build_filter_graph(chain, 50, Equalizer().with_gains({63: 3.0, 16000: -12.0}))
    assert graph is not None
    names = [stage.split("=")[0] for stage in graph.split(",")]
    assert names == [
        "aresample", "asetrate", "aresample", "stereotools", "equalizer", "equalizer", "tremolo", "volume", "alimiter",
    ]  # fmt: skip
