"""Option parsing: every accepted spelling becomes the right shared model; every bad one a clear InvalidInputError."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.commands.parsing import (
    SeekTarget,
    parse_duration_ms,
    parse_filters,
    parse_loop,
    parse_page,
    parse_position,
    parse_query,
    parse_seek,
    parse_skip_count,
    parse_volume,
    parse_when,
    shown,
)
from gateway.wording.formatting import describe_filters
from shared.errors import InvalidInputError
from shared.models import FilterChain, FilterPreset, InsertPosition, LoopMode


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1:23", SeekTarget(83_000, relative=False)),
        ("83", SeekTarget(83_000, relative=False)),
        ("+15", SeekTarget(15_000, relative=True)),
        ("-10", SeekTarget(-10_000, relative=True)),
        ("1:02:03", SeekTarget(3_723_000, relative=False)),
        ("0:05.5", SeekTarget(5_500, relative=False)),
        (" 2m ", SeekTarget(120_000, relative=False)),
        ("1m30s", SeekTarget(90_000, relative=False)),
        ("+1:00", SeekTarget(60_000, relative=True)),
        ("0", SeekTarget(0, relative=False)),
    ],
)
def test_seek_positions(raw: str, expected: SeekTarget) -> None:
    assert parse_seek(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "+", "abc", "1:75", "1:60:00", "1:2:3:4", "--5", "5x", "-", "25:00:00"])
def test_bad_seek_positions(raw: str) -> None:
    with pytest.raises(InvalidInputError):
        parse_seek(raw)


@given(st.integers(min_value=0, max_value=23 * 3600 + 59 * 60 + 59))
def test_clock_round_trip(seconds: int) -> None:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
    assert parse_duration_ms(text) == seconds * 1000


def test_filter_chain_with_parameters_keeps_order() -> None:
    chain = parse_filters("Nightcore, bassboost=12 speed=1.1x, 8d:0.3")
    assert chain == FilterChain(
        presets=(FilterPreset.NIGHTCORE, FilterPreset.BASSBOOST, FilterPreset.EIGHT_D),
        speed=1.1,
        bass_gain_db=12.0,
        rotation_hz=0.3,
    )
    assert describe_filters(chain) == "nightcore, bassboost=12, 8d=0.3, speed=1.1"


def test_filter_aliases_and_percent() -> None:
    chain = parse_filters("vapor karaoke tremolo vibrato pitch=90%")
    assert chain.presets == (FilterPreset.VAPORWAVE, FilterPreset.KARAOKE, FilterPreset.TREMOLO, FilterPreset.VIBRATO)
    assert chain.pitch == pytest.approx(0.9)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("", "Name at least one filter"),
        ("reverb", "`reverb` is not a filter"),
        ("nightcore nightcore", "listed twice"),
        ("speed", "needs a value"),
        ("speed=3", "Speed must be between 0.5 and 2"),
        ("pitch=0.1", "Pitch must be between 0.5 and 2"),
        ("bassboost=50", "Bassboost gain must be between 0 and 20 dB"),
        ("karaoke=2", "takes no value"),
        ("speed=1.1 speed=1.2", "listed twice"),
        ("nightcore;drop table", "is not a filter"),
    ],
)
def test_bad_filter_specs(spec: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        parse_filters(spec)


def test_describe_identity() -> None:
    assert describe_filters(FilterChain()) == "none"


def test_queries_are_trimmed_and_bounded() -> None:
    assert parse_query("  never   gonna  ") == "never gonna"
    with pytest.raises(InvalidInputError):
        parse_query("   ")
    with pytest.raises(InvalidInputError, match="too long"):
        parse_query("x" * 501)


def test_small_options() -> None:
    assert parse_when(None) is InsertPosition.END
    assert parse_when("NEXT") is InsertPosition.NEXT
    assert parse_loop("Queue") is LoopMode.QUEUE
    assert parse_volume(0) == 0
    assert parse_volume(200) == 200
    assert parse_skip_count(None) == 1
    assert parse_position(1) == 0
    assert parse_page(None) == 0
    assert parse_page(3) == 2
    for bad_text in ("later", "soon"):
        with pytest.raises(InvalidInputError):
            parse_when(bad_text)
    with pytest.raises(InvalidInputError):
        parse_loop("forever")
    for bad_volume in (-1, 201):
        with pytest.raises(InvalidInputError):
            parse_volume(bad_volume)
    with pytest.raises(InvalidInputError):
        parse_skip_count(0)
    with pytest.raises(InvalidInputError):
        parse_position(0)
    with pytest.raises(InvalidInputError):
        parse_page(0)


@pytest.mark.parametrize(
    "raw", ["\u0663", "1:2\u0663", "\uff18\uff13", "9" * 21, "9" * 3000, "1:23\x00", "+" + "9" * 3000]
)
def test_times_are_ascii_and_short(raw: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        parse_seek(raw)
    assert len(raised.value.message) < 120


def test_quoted_user_text_is_clean_and_clipped() -> None:
    assert shown("  a\u202eb\x00c`d\u2066  ") == "abcd"
    assert shown("x" * 50) == "x" * 19 + "…"
    with pytest.raises(InvalidInputError) as raised:
        parse_filters("\u202e" + "z" * 150)
    assert "\u202e" not in raised.value.message and len(raised.value.message) < 200
