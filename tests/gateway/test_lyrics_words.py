"""How `/lyrics` reads (gateway/wording/lyrics.py): pages that fit, verses kept together, every status worded."""

from __future__ import annotations

from gateway.wording.limits import EMBED_DESCRIPTION, fit_reply
from gateway.wording.lyrics import PAGE_CHARACTERS, lyrics_reply, pages
from shared.lyrics import Lyrics, LyricsProblem, LyricsResult, LyricsStatus


def verse(n: int, lines: int = 8) -> str:
    return "\n".join(f"verse {n} line {k} with some words to sing along" for k in range(lines))


def test_short_lyrics_are_one_page_and_empty_lyrics_one_empty_page() -> None:
    assert pages("one\ntwo") == ["one\ntwo"]
    assert pages("") == [""]


def test_pages_fit_and_break_between_verses() -> None:
    text = "\n\n".join(verse(n) for n in range(12))
    found = pages(text)
    assert len(found) > 1 and all(len(page) <= PAGE_CHARACTERS for page in found)
    assert all(page.splitlines()[0].endswith(" line 0 with some words to sing along") for page in found)
    assert "\n".join(found).replace("\n", "") == text.replace("\n", "")


def test_a_line_longer_than_a_page_is_cut_and_nothing_is_lost() -> None:
    text = "x" * (PAGE_CHARACTERS * 2 + 5)
    found = pages(text)
    assert [len(page) for page in found] == [PAGE_CHARACTERS, PAGE_CHARACTERS, 5]


def test_a_page_reply_fits_discord_and_escapes_markdown() -> None:
    words = "\n\n".join(verse(n, 30) for n in range(20)) + "\n*not bold* `code`"
    lyrics = Lyrics(lrclib_id=1, title="Song", artist="Band", duration_ms=200_000, plain=words)
    result = LyricsResult(status=LyricsStatus.FOUND, lyrics=lyrics)
    first = lyrics_reply(result, 0, "it")
    assert first.card is not None and fit_reply(first) == first, "already within Discord's limits"
    assert len(first.card.description) <= EMBED_DESCRIPTION and first.card.footer is not None
    assert first.card.title == "Song — Band" and "/lyrics page:2 for more" in first.card.footer
    count = int(first.card.footer.split("/")[1].split(" ")[0])
    last = lyrics_reply(result, count - 1, "it")
    assert last.card is not None and r"\*not bold\* \`code\`" in last.card.description
    assert lyrics_reply(result, count, "it").ephemeral


def test_every_status_is_worded() -> None:
    quiet = Lyrics(lrclib_id=2, title="Calm", artist="Band")
    assert "instrumental" in lyrics_reply(LyricsResult(status=LyricsStatus.INSTRUMENTAL, lyrics=quiet), 0, "x").content
    missing = lyrics_reply(LyricsResult(status=LyricsStatus.NOT_FOUND), 0, "**Song** by Band")
    assert missing.ephemeral and missing.content == "⚠️ No lyrics found for **Song** by Band."
    for problem in [*LyricsProblem, None]:
        failed = lyrics_reply(LyricsResult(status=LyricsStatus.FAILED, problem=problem), 0, "x")
        assert failed.ephemeral and failed.content.endswith(".") and "{" not in failed.content
    limited = LyricsResult(status=LyricsStatus.FAILED, problem=LyricsProblem.RATE_LIMITED, retry_after_s=12)
    assert "in 12 s" in lyrics_reply(limited, 0, "x").content
