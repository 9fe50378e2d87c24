"""What members read about mirrored links: the card's match line, the skip notice, the cut playlist, each problem."""

from __future__ import annotations

import pytest

from gateway.wording import failures, formatting
from shared.events import PlaylistProgress, TrackFailed
from shared.failures import Problem, ProblemKind, Stop, StopKind
from shared.models import Matched, MatchMethod, MirrorService, PlayerState, QueueItem, Track

MIRRORED = Track(
    url="https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC",
    title="Blinding Lights",
    artist="The Weeknd",
    artists=("The Weeknd",),
    mirror=MirrorService.SPOTIFY,
    duration_ms=200_000,
)
UPLOAD = Track(url="https://www.youtube.com/watch?v=4NRXx6U8ABQ", title="Blinding Lights", artist="The Weeknd - Topic")


def item(match: Matched | None) -> QueueItem:
    return QueueItem(uid="0" * 32, track=MIRRORED, requester_id=7, match=match)


@pytest.mark.parametrize(
    ("match", "words"),
    [
        (Matched(track=UPLOAD, method=MatchMethod.ISRC, score=1.0), "matched by ISRC"),
        (Matched(track=UPLOAD, method=MatchMethod.SCORE, score=0.8234), "best match 0.82"),
    ],
)
def test_the_now_playing_card_says_what_plays(match: Matched, words: str) -> None:
    reply = formatting.now_playing(PlayerState(now_playing=item(match)), now_ms=0)
    assert reply.card is not None and "Blinding Lights" in reply.card.description
    fields = {field.name: field.value for field in reply.card.fields}
    assert words in fields["Playing from"] and "youtube.com/watch?v=4NRXx6U8ABQ" in fields["Playing from"]


def test_an_unmatched_item_shows_no_match_line() -> None:
    reply = formatting.now_playing(PlayerState(now_playing=item(None)), now_ms=0)
    assert reply.card is not None and "Playing from" not in {f.name for f in reply.card.fields}


def test_the_skip_notice_names_the_track_and_the_best_score() -> None:
    problem = Problem(kind=ProblemKind.NO_MATCH, service=MirrorService.SPOTIFY, score=0.41)
    text = formatting.failed(TrackFailed(guild_id=1, at_ms=0, item=item(None), problem=problem))
    assert "Blinding Lights" in text and "best match 0.41" in text and "skipped" in text
    nothing = Problem(kind=ProblemKind.NO_MATCH, service=MirrorService.SPOTIFY)
    assert "search found nothing" in formatting.failed(
        TrackFailed(guild_id=1, at_ms=0, item=item(None), problem=nothing)
    )


def test_a_cut_playlist_is_said() -> None:
    stop = Stop(kind=StopKind.SERVICE_CUT, limit=100, service=MirrorService.SPOTIFY)
    event = PlaylistProgress(guild_id=1, at_ms=0, request_id="a" * 32, title="Mix", queued=100, done=True, stopped=stop)
    text = formatting.playlist_progress(event)
    assert "Spotify's public page lists only the first 100 tracks" in text


@pytest.mark.parametrize(
    ("problem", "words"),
    [
        (Problem(kind=ProblemKind.PRIVATE, service=MirrorService.DEEZER), "Deezer says it is private"),
        (Problem(kind=ProblemKind.REGION_LOCKED, service=MirrorService.SPOTIFY), "not offer it in this bot's region"),
        (Problem(kind=ProblemKind.RATE_LIMITED, service=MirrorService.APPLE, retry_after_s=120), "again in 120 s"),
        (Problem(kind=ProblemKind.SERVICE_ANSWER, service=MirrorService.DEEZER), "not its data"),
        (Problem(kind=ProblemKind.TIMED_OUT, service=MirrorService.SPOTIFY), "did not answer in time"),
        (
            Problem(kind=ProblemKind.UNSUPPORTED_ITEM, service=MirrorService.SPOTIFY, item="episode"),
            "a podcast episode",
        ),
        (
            Problem(kind=ProblemKind.UNSUPPORTED_ITEM, service=MirrorService.APPLE, item="zzz"),
            "something on Apple Music",
        ),
        (Problem(kind=ProblemKind.MALFORMED_LINK, service=MirrorService.SPOTIFY), "not a complete Spotify link"),
    ],
)
def test_each_mirror_problem_in_words(problem: Problem, words: str) -> None:
    assert words in failures.sentence(problem)


def test_a_long_link_never_hides_how_it_was_matched() -> None:
    long = Track(url=f"https://media.example/{'x' * 300}.mp3", title="Blinding Lights " * 10, artist="Someone")
    reply = formatting.now_playing(
        PlayerState(now_playing=item(Matched(track=long, method=MatchMethod.ISRC, score=1.0))), now_ms=0
    )
    assert reply.card is not None
    assert {f.name: f.value for f in reply.card.fields}["Playing from"].startswith("matched by ISRC · ")
