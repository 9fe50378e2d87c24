"""Pure parts of the resolver: entry conversion and limits, M3U/PLS parsing, fallback hints and scoring."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from yt_dlp.networking.exceptions import HTTPError, TransportError
from yt_dlp.utils import DownloadError, ExtractorError, UnsupportedError

from shared.failures import Problem, ProblemKind, Refusal
from shared.models import MAX_TITLE_LENGTH, Track
from worker.resolve.failures import SEARCHABLE, GuardRefusedError, classify
from worker.resolve.fallback import Hint, best_match, hints, page_title, score, slug, youtube_id
from worker.resolve.guard import UrlGuard, Verdict
from worker.resolve.probe import parse_probe
from worker.resolve.service import parse_input
from worker.resolve.tracks import clean_text, duration_ms, entry_url, make_track, parse_playlist_file, usable_tracks

BASE = "http://127.0.0.1:8765/lists/mix.m3u"


def test_titles_are_cleaned_and_cut_to_the_model_limit() -> None:
    long_title = "x" * 1000
    track = make_track({"title": long_title, "duration": 12.5}, "http://127.0.0.1/a.mp3")
    assert len(track.title) == MAX_TITLE_LENGTH
    assert track.title.endswith("…")
    assert track.duration_ms == 12500
    assert clean_text(" a\n\tb\x00c ") == "a b c"
    assert clean_text("   ") is None


@pytest.mark.parametrize("seconds", [-1, float("nan"), float("inf"), 10**9, "12", True, None])
def test_absurd_durations_are_unknown(seconds: object) -> None:
    assert duration_ms(seconds) is None


def test_entries_without_a_usable_url_or_too_long_are_dropped() -> None:
    guard = UrlGuard(("127.0.0.1",))
    entries: list[dict[str, Any]] = [
        {"url": "http://127.0.0.1/a.mp3#__youtubedl_smuggle=%7B%22force_videoid%22%3A+%22g-1%22%7D", "title": "A"},
        {"title": "no url"},
        {"url": "file:///etc/passwd", "title": "local"},
        {"url": "http://10.0.0.1/x.mp3", "title": "private"},
        {"url": "http://127.0.0.1/long.mp3", "title": "long", "duration": 25 * 3600},
        {"formats": [{"url": "http://127.0.0.1/b.ogg"}], "title": "B", "duration": 5.0},
    ]
    tracks = usable_tracks(entries, guard)
    assert [t.title for t in tracks] == ["A", "B"]
    assert tracks[0].url == "http://127.0.0.1/a.mp3"
    assert tracks[0].source_id == "g-1"
    assert entry_url({"webpage_url": "https://music.example/v"}) == "https://music.example/v"


def test_extended_m3u_keeps_titles_durations_and_resolves_relative_urls() -> None:
    text = "#EXTM3U\n#EXTINF:123,Artist - Song\nhttp://h/a.mp3\n\n#EXTINF:-1,Radio\n../b.ogg\n# comment\nc.flac\n"
    entries = parse_playlist_file(text, BASE)
    assert entries is not None
    assert [(e.url, e.title, e.seconds) for e in entries] == [
        ("http://h/a.mp3", "Artist - Song", 123.0),
        ("http://127.0.0.1:8765/b.ogg", "Radio", None),
        ("http://127.0.0.1:8765/lists/c.flac", None, None),
    ]
    assert entries[2].track().title == "c.flac"


def test_pls_entries_come_in_number_order() -> None:
    text = "[playlist]\nFile2=http://h/2.mp3\nTitle2=Two\nFile1=http://h/1.mp3\nLength1=61\nNumberOfEntries=2\n"
    entries = parse_playlist_file(text, BASE)
    assert entries is not None
    expected = [("http://h/1.mp3", None, 61.0), ("http://h/2.mp3", "Two", None)]
    assert [(e.url, e.title, e.seconds) for e in entries] == expected


def test_hls_is_not_a_playlist() -> None:
    assert parse_playlist_file("#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nseg1.ts\n", BASE) is None


@pytest.mark.parametrize(
    ("query", "kind", "value"),
    [
        ("never gonna  give you up", "text", "never gonna give you up"),
        ("https://music.example/a", "url", "https://music.example/a"),
        ("file:///etc/passwd", "url", "file:///etc/passwd"),
        ("javascript:alert(1)", "url", "javascript:alert(1)"),
        ("youtube.com/watch?v=dQw4w9WgXcQ", "url", "https://youtube.com/watch?v=dQw4w9WgXcQ"),
        ("artist: song title", "text", "artist: song title"),
        ("localsearchall:tone", "text", "localsearchall:tone"),
    ],
)
def test_input_is_a_url_or_search_text(query: str, kind: str, value: str) -> None:
    assert parse_input(query) == (kind, value)


def test_hints_recover_a_query_from_what_is_known() -> None:
    known = Track(url="http://h/x", title="Song Title", artist="Band", duration_ms=200_000, source_id="abc")
    found = hints("http://h/music/Band-Song_Title.mp3", known=known, html_title="Band - Song Title | Site")
    assert [(h.source, h.query) for h in found] == [
        ("title", "Band Song Title"),
        ("page", "Band - Song Title | Site"),
    ]
    assert slug("http://h/a/Blue%20moon-dance_night.mp3?x=1") == "blue moon dance night"
    assert slug("http://h/123/456") is None
    assert youtube_id("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=1") == "dQw4w9WgXcQ"
    assert youtube_id("https://youtu.be/dQw4w9WgXcQ") == "dQw4w9WgXcQ"
    assert [h.source for h in hints("https://youtu.be/dQw4w9WgXcQ")] == ["id"]
    assert page_title("<html><head><TITLE>\n A  page </TITLE>") == "A page"


def test_scoring_prefers_same_title_and_duration() -> None:
    hint = Hint("test tone 1 220 hz mp3", "slug")
    same = Track(url="http://h/1", title="Test Tone 1 (220 Hz, mp3)", duration_ms=5000)
    other = Track(url="http://h/2", title="Test Tone 1 (220 Hz, ogg)", duration_ms=5000)
    assert score(hint, same) == 1.0
    assert score(hint, other) < 1.0
    match = best_match(hint, [other, same])
    assert match is not None
    assert match.track is same
    assert best_match(Hint("tone", "slug"), [same]) is None
    timed = Hint("test tone 1 220 hz mp3", "title", duration_ms=300_000)
    assert score(timed, same) < 0.1
    assert score(Hint("abcdefghijk", "id", source_id="abcdefghijk"), same) == 0.0


def test_failures_are_classified_for_the_fallback() -> None:
    def wrapped(inner: Exception) -> DownloadError:
        return DownloadError("ERROR: x", exc_info=(type(inner), inner, None))

    class Response:
        status = 404
        reason = "Not Found"
        headers: ClassVar[dict[str, str]] = {}
        url = "http://h/x"

        def close(self) -> None:
            pass

    assert classify(wrapped(UnsupportedError("http://h/x")))[0].kind is ProblemKind.UNSUPPORTED
    assert classify(wrapped(HTTPError(Response())))[0] == Problem(kind=ProblemKind.NOT_FOUND, http_status=404)
    assert classify(wrapped(TransportError(cause=ConnectionRefusedError())))[0].kind is ProblemKind.NETWORK
    assert classify(ExtractorError("'x' is not a valid URL", expected=True))[0].kind is ProblemKind.NOT_A_URL
    verdict = Verdict(allowed=False, refusal=Refusal.LOOPBACK, host="127.0.0.2")
    refused = TransportError(cause=GuardRefusedError(verdict, redirect=True))
    problem = Problem(kind=ProblemKind.REFUSED, refusal=Refusal.LOOPBACK, redirect=True)
    assert classify(wrapped(refused)) == (problem, "a redirect was refused: loopback (127.0.0.2)")
    assert ProblemKind.NETWORK not in SEARCHABLE
    assert ProblemKind.NOT_FOUND in SEARCHABLE


def test_probe_output_reads_format_and_stream_tags() -> None:
    ogg = b'{"streams":[{"tags":{"TITLE":"T","ARTIST":"A"}}],"format":{"duration":"5.000"}}'
    assert parse_probe(ogg).title == "T"
    assert parse_probe(ogg).artist == "A"
    assert parse_probe(ogg).seconds == 5.0
    assert parse_probe(b"not json").title is None
