"""Every failure kind on the wire has words, and values of an older release (prose fields) still get words."""

from __future__ import annotations

import itertools
from enum import StrEnum

import pytest

from gateway.wording import failures, formatting
from shared.events import EVENT_ADAPTER, LeaveReason, PlaybackFailure, PlayerLeft, PlaylistProgress, TrackFailed
from shared.failures import Fallback, Problem, ProblemKind, Refusal, Stop, StopKind
from shared.jobs import ResolveResult, ResolveStatus, SearchResult, SearchStatus, SkipKind
from shared.lyrics import LyricsProblem
from shared.models import InsertPosition
from tests.factories import make_item

MAPPINGS: list[tuple[type[StrEnum], dict[str, str]]] = [
    (Refusal, {str(k): v for k, v in failures.REFUSAL_WORDS.items()}),
    (ProblemKind, {str(k): v for k, v in failures.PROBLEM_WORDS.items()}),
    (Fallback, {str(k): v for k, v in failures.FALLBACK_WORDS.items()}),
    (StopKind, {str(k): v for k, v in failures.STOP_WORDS.items()}),
    (LeaveReason, {str(k): v for k, v in failures.LEAVE_WORDS.items()}),
    (PlaybackFailure, {str(k): v for k, v in failures.PLAYBACK_WORDS.items()}),
    (SkipKind, {str(k): v for k, v in failures.SKIP_WORDS.items()}),
    (LyricsProblem, {str(k): v for k, v in failures.LYRICS_WORDS.items()}),
]


@pytest.mark.parametrize(("kind", "words"), MAPPINGS, ids=[kind.__name__ for kind, _ in MAPPINGS])
def test_every_member_of_every_failure_enum_has_words(kind: type[StrEnum], words: dict[str, str]) -> None:
    assert set(words) == {member.value for member in kind}
    assert all(text.strip() for text in words.values())


def test_every_problem_reads_as_a_sentence_whatever_its_details() -> None:
    refusals: list[Refusal | None] = [None, *Refusal]
    fallbacks: list[Fallback | None] = [None, *Fallback]
    for kind, refusal, fallback, redirect in itertools.product(ProblemKind, refusals, fallbacks, (False, True)):
        problem = Problem(kind=kind, refusal=refusal, fallback=fallback, redirect=redirect, http_status=503)
        text = failures.sentence(problem, query="lofi")
        assert text.endswith(".") and "{" not in text and "None" not in text, text
    for stop_kind in StopKind:
        for limit, of in ((None, None), (150, 5000)):
            text = failures.stop(Stop(kind=stop_kind, limit=limit, of=of))
            assert text and "{" not in text and "None" not in text, text


def test_the_words_of_common_failures() -> None:
    private = Problem(kind=ProblemKind.REFUSED, refusal=Refusal.PRIVATE)
    assert failures.sentence(private) == "That link can't be played: that host points to a private address."
    dead = Problem(kind=ProblemKind.NOT_FOUND, http_status=404, fallback=Fallback.NO_MATCH)
    assert failures.sentence(dead, subject="it") == (
        "it is unavailable (HTTP 404) and no close match was found by search."
    )
    assert failures.stop(None) == "the queue is full"
    assert failures.stop(Stop(kind=StopKind.LOAD_FAILED, problem=Problem(kind=ProblemKind.HTTP, http_status=503))) == (
        "the rest of the playlist could not be loaded (HTTP 503)"
    )
    assert failures.left(LeaveReason.ALONE) == "Left the voice channel (everybody left the voice channel)."


@pytest.mark.parametrize("status", list(ResolveStatus))
def test_an_older_workers_result_gets_the_generic_words_of_its_status(status: ResolveStatus) -> None:
    """arq keeps results of workers of the previous release, whose `message` was English text."""
    older = {"status": status.value, "message": "Text an older worker wrote."}
    result = ResolveResult.model_validate(older)
    reply = formatting.resolve_outcome(result, InsertPosition.END, "lofi")
    assert reply.ephemeral
    assert "older worker" not in reply.content
    assert (
        reply.content.split(" ", 1)[1]
        == {
            ResolveStatus.QUEUED: "Something went wrong while looking that up. Please try again.",
            ResolveStatus.NOTHING_FOUND: "No results for “lofi”.",
            ResolveStatus.QUEUE_FULL: "Nothing was added: the queue is full.",
            ResolveStatus.REFUSED: "That link can't be played: it is not allowed.",
            ResolveStatus.FAILED: "Something went wrong while looking that up. Please try again.",
        }[status]
    )


def test_an_older_workers_queued_result_still_reports_what_was_queued() -> None:
    item = make_item(1)
    older = {"status": "queued", "message": "Queued “track 1”.", "first": item.model_dump(mode="json"), "total": 1}
    reply = formatting.resolve_outcome(ResolveResult.model_validate(older), InsertPosition.END, "track 1")
    assert reply.content.startswith("🎶 Queued [track 1]")


def test_an_older_workers_search_result_loads() -> None:
    track = make_item(1).track.model_dump(mode="json")
    found = SearchResult.model_validate({"status": "queued", "message": "1 results.", "tracks": [track]})
    assert (found.status, len(found.tracks)) == (SearchStatus.FOUND, 1)
    failed = SearchResult.model_validate({"status": "failed", "message": "Search is not available right now."})
    assert formatting.search_failed("lofi", failed).content == (
        "🔍 Something went wrong while looking that up. Please try again."
    )


def test_older_events_load_without_their_prose() -> None:
    base = {"guild_id": 1, "at_ms": 1}
    item = make_item(1).model_dump(mode="json")
    failed = EVENT_ADAPTER.validate_python(base | {"kind": "track_failed", "item": item, "error": "HTTP 403"})
    assert isinstance(failed, TrackFailed) and failed.problem is None
    assert formatting.failed(failed).endswith(": it could not be loaded.")
    left = EVENT_ADAPTER.validate_python(base | {"kind": "player_left", "reason": "idle for 5 minutes"})
    assert isinstance(left, PlayerLeft) and left.reason is None
    progress = base | {"kind": "playlist_progress", "request_id": "r", "queued": 2, "stopped_reason": "queue full"}
    stopped = EVENT_ADAPTER.validate_python(progress)
    assert isinstance(stopped, PlaylistProgress) and stopped.stopped == Stop(kind=StopKind.UNKNOWN)
    finished = EVENT_ADAPTER.validate_python(progress | {"stopped_reason": None, "done": True})
    assert isinstance(finished, PlaylistProgress) and finished.stopped is None
