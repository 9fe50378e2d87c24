"""The lyrics matcher (worker/resolve/lyrics_match.py): the same song or nothing."""

from __future__ import annotations

import pytest

from worker.resolve.lyrics_match import (
    Candidate,
    Wanted,
    artist_names,
    artist_query,
    best,
    best_for_query,
    matches,
    readings,
    title_key,
    title_query,
)

SONG = Candidate(title="Bohemian Rhapsody", artist="Queen", duration_ms=354_000)


@pytest.mark.parametrize(
    ("title", "key"),
    [
        ("Bohemian Rhapsody (Official Video)", "bohemian rhapsody"),
        ("Bohemian Rhapsody [Remastered 2011]", "bohemian rhapsody"),
        ("Bohemian Rhapsody - Official Video", "bohemian rhapsody"),
        ("Bohemian Rhapsody - Remastered 2011", "bohemian rhapsody"),
        ("BOHEMIAN  RHAPSODY!", "bohemian rhapsody"),
        ("Song feat. Somebody", "song"),
        ("Dancing with Myself", "dancing with myself"),
        ("Song (feat. Somebody) [Lyric Video]", "song"),
        ("Ｓｏｎｇ", "song"),
        ("(Intro)", "intro"),
        ("Don’t Stop Me Now", "don't stop me now".replace("'", " ")),
    ],
)
def test_title_normalisation(title: str, key: str) -> None:
    assert title_key(title) == key


def test_what_is_sent_to_lrclib_keeps_case_and_punctuation() -> None:
    assert title_query("Don't Stop Me Now (Official Video) [HD]") == "Don't Stop Me Now"
    assert title_query("Song Feat. Somebody - Official Audio") == "Song"
    assert title_query("(Intro)") == "(Intro)"


def test_artist_names_and_channel_suffixes() -> None:
    assert artist_names("Queen - Topic") == {"queen"}
    assert artist_names("QueenVEVO") == {"queen"}
    assert artist_names("A & B, C feat. D") == {"a", "b", "c", "d"}
    assert artist_names("Tyler x Friend") == {"tyler", "friend"}
    assert artist_query("Queen - Topic") == "queen"


def test_a_track_matches_its_record_within_two_seconds() -> None:
    assert matches(Wanted("Bohemian Rhapsody (Official Video)", "Queen - Topic", 355_900), SONG)
    assert matches(Wanted("Bohemian Rhapsody", "Queen", None), SONG)
    assert matches(Wanted("Bohemian Rhapsody", "Queen & David Bowie", 354_000), SONG)


def test_another_song_never_matches() -> None:
    assert not matches(Wanted("Bohemian Rhapsody", "Queen", 360_000), SONG), "6 s longer: another recording"
    assert not matches(Wanted("Bohemian Rhapsody", "Panic! at the Disco", 354_000), SONG), "another artist"
    assert not matches(Wanted("Rhapsody", "Queen", 354_000), SONG), "another title"
    assert not matches(Wanted("(Official Video)", "Queen", 354_000), SONG)


def test_readings_of_an_upload_without_an_artist() -> None:
    found = readings("Queen - Bohemian Rhapsody (Official Video)", None, 354_000)
    assert [(title_key(w.title), w.artist) for w in found] == [("bohemian rhapsody", "queen")]
    assert matches(found[0], SONG)
    both = readings("Queen - Bohemian Rhapsody", "Some Channel", 354_000)
    assert [w.artist for w in both] == ["Some Channel", "queen"]
    assert readings("just a title", None, 1000) == [], "nothing to match an artist on"


def test_best_prefers_the_closest_duration() -> None:
    far = Candidate("Bohemian Rhapsody", "Queen", 356_000)
    near = Candidate("Bohemian Rhapsody", "Queen", 354_500)
    other = Candidate("Bohemian Rhapsody", "Queen", 300_000)
    assert best(Wanted("Bohemian Rhapsody", "Queen", 354_000), [other, far, near]) is near
    assert best(Wanted("Bohemian Rhapsody", "Queen", 354_000), [other]) is None


def test_a_query_names_the_whole_title_and_nothing_but_the_artist() -> None:
    other = Candidate("Bohemian Rhapsody", "Panic! at the Disco", 240_000)
    assert best_for_query("bohemian rhapsody queen", [other, SONG]) is SONG
    assert best_for_query("Queen - Bohemian Rhapsody lyrics", [other, SONG]) is SONG
    assert best_for_query("bohemian rhapsody", [other, SONG]) is other, "the first of LRCLIB's order"
    assert best_for_query("rhapsody", [SONG]) is None
    assert best_for_query("bohemian rhapsody live at wembley", [SONG]) is None
