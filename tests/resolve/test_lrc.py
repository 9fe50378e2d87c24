"""The LRC parser (worker/resolve/lrc.py): time tags, several per line, the offset tag, bad lines ignored."""

from __future__ import annotations

from shared.lyrics import MAX_LYRIC_LINE, LyricLine
from worker.resolve.lrc import clean_plain, parse, plain_text


def lines(text: str) -> list[tuple[int, str]]:
    return [(line.at_ms, line.text) for line in parse(text)]


def test_time_tags_in_every_precision() -> None:
    text = "[00:01.5]half\n[00:02.05]hundredths\n[00:03.250]thousandths\n[01:04]whole\n[00:05:10]colon"
    expected = [(1500, "half"), (2050, "hundredths"), (3250, "thousandths"), (5100, "colon"), (64_000, "whole")]
    assert lines(text) == expected


def test_several_stamps_on_one_line_are_sung_at_each_time_in_order() -> None:
    text = "[00:10.00][00:30.00]Chorus\n[00:20.00]Verse\n[00:30.00]After the chorus"
    assert lines(text) == [(10_000, "Chorus"), (20_000, "Verse"), (30_000, "Chorus"), (30_000, "After the chorus")]


def test_offset_moves_lines_earlier_or_later_and_never_below_zero() -> None:
    assert lines("[offset:+500]\n[00:01.00]a\n[00:00.20]b") == [(0, "b"), (500, "a")]
    assert lines("[00:01.00]a\n[offset: -250]") == [(1250, "a")]


def test_tags_bad_lines_and_word_stamps() -> None:
    text = "\n".join(
        [
            "[ar:Somebody]",
            "[ti:Some Song]",
            "no stamp at all",
            "[xx:01.00]letters",
            "[00:61.00]sixty-one seconds",
            "[00:01.00",
            "[00:02.00]<00:02.00>word <00:02.50>by <00:03.00>word",
            "[00:04.00]   ",
            "[00:05.00]bell\x07 and \u202eoverride\u202c",
        ]
    )
    assert lines(text) == [(2000, "word by word"), (4000, ""), (5000, "bell and override")]


def test_long_lines_are_clipped_and_garbage_gives_nothing() -> None:
    parsed = parse("[00:01.00]" + "x" * 2000)
    assert parsed == (LyricLine(at_ms=1000, text="x" * MAX_LYRIC_LINE),)
    assert parse("") == () and parse("\x00\x01[][::]") == ()


def test_plain_text_of_synced_lines() -> None:
    assert plain_text(parse("[00:01.00]one\n[00:02.00]\n[00:03.00]two")) == "one\n\ntwo"


def test_plain_lyrics_are_cleaned_line_by_line() -> None:
    assert clean_plain("\r\nOne\x00 line\r\n\r\nTwo\u202e\tlines \n\n") == "One line\n\nTwo lines"
