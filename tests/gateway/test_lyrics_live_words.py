"""The live view of `/lyrics live` (gateway/wording/lyrics_live.py): which line is sung at a position."""

from __future__ import annotations

from gateway.wording.lyrics_live import END_WORDS, GAP, LiveEnd, current_index, live_ended, live_view
from shared.lyrics import LyricLine, Lyrics

LINES = (
    LyricLine(at_ms=1000, text="one"),
    LyricLine(at_ms=2000, text=""),
    LyricLine(at_ms=3000, text="three *bold*"),
)
SONG = Lyrics(lrclib_id=1, title="Song", artist="Band", duration_ms=10_000, synced=LINES)


def test_the_current_line_is_the_last_one_that_started() -> None:
    assert [current_index(LINES, ms) for ms in (0, 999, 1000, 1999, 2000, 3000, 9000)] == [-1, -1, 0, 0, 1, 2, 2]
    assert current_index((), 5000) == -1


def test_the_view_shows_previous_current_and_next() -> None:
    before = live_view(SONG, 500, paused=False).card
    assert before is not None and before.description == f"**▶ {GAP}**\none"
    gap = live_view(SONG, 2500, paused=True).card
    assert gap is not None and gap.description == f"one\n**▶ {GAP}**\nthree \\*bold\\*"
    assert gap.footer == "⏸ Paused · 0:02 / 0:10 · LRCLIB" and gap.title == "Song — Band"
    last = live_view(SONG, 9000, paused=False).card
    assert last is not None and last.description == f"{GAP}\n**▶ three \\*bold\\***"
    assert last.footer is not None and last.footer.startswith("🎤 Live · 0:09")


def test_every_end_is_worded() -> None:
    assert set(END_WORDS) == set(LiveEnd)
    for why in LiveEnd:
        card = live_ended(SONG, why).card
        assert card is not None and card.description == END_WORDS[why]
