"""The matching ladder as a pure rule: ISRC, the artist's official audio, normalised text, duration, versions."""

from __future__ import annotations

from shared.models import MatchMethod, Track
from tests.media.catalogue import generate
from worker.resolve.mirror import ranking
from worker.resolve.mirror.ranking import Target, choose, rank, score, search_title

SONG = Target("Blinding Lights", ("The Weeknd",), 200_000, "USUG11904206")


def upload(title: str, channel: str, seconds: int = 200, isrc: str | None = None) -> Track:
    return Track(url=f"https://example.org/{abs(hash(title + channel))}", title=title, duration_ms=seconds * 1000,
                 artist=channel, isrc=isrc)  # fmt: skip


def test_isrc_beats_every_score() -> None:
    fan = upload("The Weeknd - Blinding Lights", "The Weeknd - Topic")
    same = upload("some other title", "whoever", 400, isrc="USUG11904206")
    ranked = rank(SONG, [fan, same])
    assert ranked[0].track == same and ranked[0].method is MatchMethod.ISRC and ranked[0].score == 1.0


def test_official_audio_wins_over_a_fan_upload_of_the_same_recording() -> None:
    topic = upload("Blinding Lights", "The Weeknd - Topic")
    fan = upload("The Weeknd - Blinding Lights (Lyrics)", "LyricsHub")
    assert choose(SONG, [fan, topic]) == rank(SONG, [topic, fan])[0]
    assert rank(SONG, [fan, topic])[0].track == topic


def test_upload_noise_is_ignored() -> None:
    for title in ("The Weeknd - Blinding Lights (Official Video)", "The Weeknd - Blinding Lights [HD] (Lyrics)",
                  "THE WEEKND — BLINDING LIGHTS (Official Audio)"):  # fmt: skip
        assert score(SONG, upload(title, "SomeChannel")) >= ranking.DEFAULT_THRESHOLD, title


def test_featured_credits_remasters_and_accents_are_normalised() -> None:
    target = Target("Corazón (feat. Maluma) - Remastered 2011", ("Ada Vance", "Maluma"), 180_000)
    assert score(target, upload("Ada Vance - Corazon ft. Maluma", "Ada Vance", 180)) >= 0.9
    assert search_title(target.title) == "Corazón"


def test_non_latin_titles_match_themselves() -> None:
    target = Target("夜に駆ける", ("YOASOBI",), 261_000)
    assert score(target, upload("YOASOBI「夜に駆ける」", "Ayase / YOASOBI", 261)) >= 0.9
    assert score(target, upload("群青", "YOASOBI - Topic", 261)) == 0.0


def test_duration_tolerance_is_three_seconds_or_five_percent() -> None:
    assert ranking.duration_factor(200_000, 203_000) == 1.0
    assert ranking.duration_factor(200_000, 210_000) == 1.0  # 5 % of 200 s
    assert ranking.duration_factor(200_000, 215_000) < 0.8
    assert ranking.duration_factor(200_000, 30_000) == 0.0  # a preview
    assert ranking.duration_factor(40_000, 43_000) == 1.0  # ±3 s for short tracks


def test_other_versions_are_penalised_unless_asked_for() -> None:
    for decoy in ("Blinding Lights (Live at Wembley)", "Blinding Lights (sped up)", "Nightcore - Blinding Lights",
                  "Blinding Lights (8D Audio)", "Blinding Lights Karaoke", "Blinding Lights (Instrumental)",
                  "Blinding Lights (Cover)", "Blinding Lights (Remix)"):  # fmt: skip
        assert score(SONG, upload(f"The Weeknd - {decoy}", "The Weeknd")) < ranking.DEFAULT_THRESHOLD, decoy
    live = Target("Blinding Lights (Live)", ("The Weeknd",), 200_000)
    assert score(live, upload("The Weeknd - Blinding Lights (Live at Wembley)", "The Weeknd")) >= 0.7


def test_the_same_title_by_another_artist_is_not_the_song() -> None:
    assert score(SONG, upload("Blinding Lights", "Gus Quinn - Topic")) < ranking.DEFAULT_THRESHOLD
    assert score(Target("Echo", ("Gus Novak",), 200_000), upload("Echo", "Gus Quinn - Topic")) < 0.7


def test_below_the_threshold_nothing_is_chosen() -> None:
    assert choose(SONG, [upload("Blinding Lights", "Someone Else")]) is None
    assert choose(SONG, []) is None


def test_generated_catalogue_no_confident_wrong_match() -> None:
    """The bench's catalogue, smaller: every pick is an acceptable upload, or nothing when there is none."""
    catalogue = generate(200, seed=3)
    results: dict[int, list[Track]] = {}
    for entry in catalogue.index:
        results.setdefault(entry["track"], []).append(
            Track(
                url=entry["url"],
                title=entry["title"],
                duration_ms=entry["duration"] * 1000,
                artist=entry["channel"],
                source_id=entry["id"],
                isrc=entry["isrc"],
            )
        )
    for track in catalogue.tracks:
        chosen = choose(Target(track.title, track.artists, track.duration_s * 1000, track.isrc), results[track.number])
        acceptable = catalogue.acceptable(track.number)
        assert (chosen.track.source_id in acceptable) if chosen is not None else not acceptable, track


def test_a_live_recording_is_not_matched_to_the_studio_cut() -> None:
    live = Target("Blinding Lights (Live)", ("The Weeknd",), 200_000)
    assert score(live, upload("Blinding Lights", "The Weeknd - Topic")) < ranking.DEFAULT_THRESHOLD
    remix = Target("Blinding Lights - Remix", ("The Weeknd",), 200_000)
    assert score(remix, upload("Blinding Lights", "The Weeknd - Topic")) < ranking.DEFAULT_THRESHOLD
