"""What members read about a failure: one mapping per failure kind that travels on the wire, each exhaustive.

Workers and stores send kinds with structured details (shared/failures.py, the enums of shared/jobs.py and
shared/events.py); these are the only words for them. A value without details (written by an older release, or a
job that failed) gets the generic words of its kind.
"""

from __future__ import annotations

from typing import Final

from shared.events import LeaveReason, PlaybackFailure
from shared.failures import Fallback, Problem, ProblemKind, Refusal, Stop, StopKind
from shared.jobs import SkipKind
from shared.lyrics import LyricsProblem
from shared.models import MirrorService

REFUSAL_WORDS: Final[dict[Refusal, str]] = {
    Refusal.URL_TOO_LONG: "that URL is too long",
    Refusal.BAD_CHARACTERS: "that URL contains characters that are not allowed",
    Refusal.UNPARSABLE: "that URL does not parse",
    Refusal.LOCAL_FILE: "local files can't be played, only http and https links",
    Refusal.BAD_SCHEME: "only http and https links can be played",
    Refusal.CREDENTIALS: "links with a user name or password are not allowed",
    Refusal.NO_HOST: "that URL has no valid host",
    Refusal.NUMERIC_HOST: "numeric hosts must be written as plain IP addresses",
    Refusal.INTERNAL_HOST: "that host is internal",
    Refusal.UNRESOLVABLE: "that host name could not be resolved",
    Refusal.NOT_AN_ADDRESS: "the address is not an IP address",
    Refusal.METADATA: "that host points to a cloud metadata address",
    Refusal.LOOPBACK: "that host points to a loopback address",
    Refusal.LINK_LOCAL: "that host points to a link-local address",
    Refusal.UNSPECIFIED: "that host points to an unspecified address",
    Refusal.MULTICAST: "that host points to a multicast address",
    Refusal.PRIVATE: "that host points to a private address",
    Refusal.CARRIER_NAT: "that host points to a carrier-grade NAT address",
    Refusal.RESERVED: "that host points to a reserved address",
    Refusal.NON_PUBLIC: "that host points to a non-public address",
}

PROBLEM_WORDS: Final[dict[ProblemKind, str]] = {
    ProblemKind.REFUSED: "{subject} can't be played: {refusal}.",
    ProblemKind.TOO_LONG: "{subject} can't be played: it is longer than 24 hours.",
    ProblemKind.NO_AUDIO: "{subject} has no playable audio stream.",
    ProblemKind.UNSUPPORTED: "{subject} is unavailable (unsupported){fallback}.",
    ProblemKind.NOT_FOUND: "{subject} is unavailable ({http}){fallback}.",
    ProblemKind.NOT_A_URL: "{subject} is unavailable (not a URL){fallback}.",
    ProblemKind.HTTP: "{subject} can't be played: the site answered with an error ({http}).",
    ProblemKind.NETWORK: "{subject} can't be played: the site could not be reached; please try again later.",
    ProblemKind.OTHER: "{subject} can't be played: it could not be read.",
    ProblemKind.NO_RESULTS: "No results for {query}.",
    ProblemKind.EMPTY_PLAYLIST: "That playlist has no playable entries.",
    ProblemKind.SEARCH_UNAVAILABLE: "Search is not available right now.",
    ProblemKind.PRIVATE: "{subject} can't be played: {service} says it is private.",
    ProblemKind.REGION_LOCKED: "{subject} can't be played: {service} does not offer it in this bot's region.",
    ProblemKind.RATE_LIMITED: "{subject} can't be read right now: {service} asks encore to wait; try again {after}.",
    ProblemKind.SERVICE_ANSWER: "{subject} can't be read: {service} answered with something that is not its data.",
    ProblemKind.TIMED_OUT: "{subject} can't be read: {service} did not answer in time; please try again later.",
    ProblemKind.UNSUPPORTED_ITEM: "{subject} is {item_words} on {service}, which encore does not play; "
    "links to songs, albums and playlists work.",
    ProblemKind.MALFORMED_LINK: "{subject} is not a complete {service} link (it may be cut off); "
    "copy the whole link with Share → Copy link.",
    ProblemKind.NO_MATCH: "no recording close enough to it was found to play ({best}), so it was skipped.",
    ProblemKind.JOB_FAILED: "Something went wrong while looking that up. Please try again.",
}
"""Whole sentences; `{subject}` is "That link" (a /play reply) or "it" (after "Couldn't play <track>:")."""

SERVICE_NAMES: Final[dict[MirrorService, str]] = {
    MirrorService.SPOTIFY: "Spotify",
    MirrorService.APPLE: "Apple Music",
    MirrorService.DEEZER: "Deezer",
}

ITEM_WORDS: Final[dict[str, str]] = {
    "episode": "a podcast episode",
    "show": "a podcast",
    "podcast": "a podcast",
    "audiobook": "an audiobook",
    "chapter": "an audiobook chapter",
    "music_video": "a music video",
    "artist": "an artist page",
    "station": "a radio station",
    "radio": "a radio station",
}

FALLBACK_WORDS: Final[dict[Fallback, str]] = {
    Fallback.OFF: "; search fallback is off on this server",
    Fallback.NO_MATCH: " and no close match was found by search",
}

STOP_WORDS: Final[dict[StopKind, str]] = {
    StopKind.QUEUE_FULL: "the queue is full{limit}",
    StopKind.USER_SHARE: "your share of the queue is used up{limit}",
    StopKind.CAPPED: "only the first {count} of {of} entries are added",
    StopKind.LOAD_FAILED: "the rest of the playlist could not be loaded{http}",
    StopKind.SERVICE_CUT: "{service}'s public page lists only the first {count} tracks (the bot's operator can "
    "configure {service} API access for whole playlists)",
    StopKind.UNKNOWN: "queueing could not go on",
}

LEAVE_WORDS: Final[dict[LeaveReason, str]] = {
    LeaveReason.ASKED: "asked to leave",
    LeaveReason.IDLE: "nothing left to play",
    LeaveReason.ALONE: "everybody left the voice channel",
}

PLAYBACK_WORDS: Final[dict[PlaybackFailure, str]] = {
    PlaybackFailure.UNAVAILABLE: "it could not be loaded",
    PlaybackFailure.UNREADABLE: "it holds no audio that can be played (a broken or unsupported file)",
    PlaybackFailure.TIMED_OUT: "its server sent no audio in time",
    PlaybackFailure.BROKE_OFF: "the stream broke off while playing",
    PlaybackFailure.CRASHED: "it made the player fail again and again",
    PlaybackFailure.INTERRUPTED: "the player stopped while opening it, so it is not tried again",
}
"""For UNAVAILABLE this is the generic clause; a `TrackFailed.problem` says more."""

SKIP_WORDS: Final[dict[SkipKind, str]] = {
    SkipKind.REFUSED: "blocked (private or local address)",
    SkipKind.NO_LINK: "without a playable link",
    SkipKind.TOO_LONG: "longer than 24 hours",
}

_NOT_ALLOWED: Final = "it is not allowed"


def refusal(problem: Problem) -> str:
    """`that host points to a private address`; a refused redirect says so."""
    words = REFUSAL_WORDS[problem.refusal] if problem.refusal is not None else _NOT_ALLOWED
    return f"a redirect was refused: {words}" if problem.redirect else words


LYRICS_WORDS: Final[dict[LyricsProblem, str]] = {
    LyricsProblem.UNAVAILABLE: "Lyrics are not available right now (LRCLIB did not answer); please try again later.",
    LyricsProblem.RATE_LIMITED: "LRCLIB is busy; please try again {after}.",
    LyricsProblem.REFUSED: "Lyrics are not available: encore may not reach LRCLIB (ask the bot's operator).",
    LyricsProblem.JOB_FAILED: "Something went wrong while looking the lyrics up. Please try again.",
}
"""`{after}` is "in 30 s" (LRCLIB's Retry-After) or "in a moment"."""


def lyrics_failure(problem: LyricsProblem | None, retry_after_s: int | None = None) -> str:
    after = f"in {retry_after_s} s" if retry_after_s else "in a moment"
    return LYRICS_WORDS[problem or LyricsProblem.UNAVAILABLE].format(after=after)


def sentence(problem: Problem, *, subject: str = "That link", query: str = "") -> str:
    """The problem as a sentence; `query` is shown (quoted, as given) for NO_RESULTS."""
    http = f"HTTP {problem.http_status}" if problem.http_status is not None else "HTTP error"
    best = f"best match {problem.score:.2f}" if problem.score is not None else "search found nothing"
    after = f"in {problem.retry_after_s} s" if problem.retry_after_s else "in a moment"
    return PROBLEM_WORDS[problem.kind].format(
        service=SERVICE_NAMES[problem.service] if problem.service is not None else "the service",
        item_words=ITEM_WORDS.get(problem.item or "", "something"),
        best=best,
        after=after,
        subject=subject,
        refusal=refusal(problem) if problem.kind is ProblemKind.REFUSED else "",
        fallback=FALLBACK_WORDS[problem.fallback] if problem.fallback is not None else "",
        http=http,
        query=f"“{query[:150]}”",
    )


def stop(stopped: Stop | None) -> str:
    """`the queue is full (500 items)`; without a stop, a full queue (what QUEUE_FULL means)."""
    if stopped is None:
        return STOP_WORDS[StopKind.QUEUE_FULL].format(limit="")
    problem = stopped.problem
    return STOP_WORDS[stopped.kind].format(
        limit=f" ({stopped.limit} items)" if stopped.limit is not None else "",
        count=stopped.limit if stopped.limit is not None else "some",
        of=stopped.of if stopped.of is not None else "its",
        http=f" (HTTP {problem.http_status})" if problem is not None and problem.http_status is not None else "",
        service=SERVICE_NAMES[stopped.service] if stopped.service is not None else "the service",
    )


def left(reason: LeaveReason | None) -> str:
    return f"Left the voice channel ({LEAVE_WORDS[reason]})." if reason is not None else "Left the voice channel."
