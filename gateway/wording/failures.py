"""What members read about a failure: one mapping per failure kind that travels on the wire, each exhaustive.

Workers and stores send kinds with structured details (shared/failures.py, the enums of shared/jobs.py and
shared/events.py); these are the only words for them. A value without details (written by an older release, or a
job that failed) gets the generic words of its kind.
"""

from __future__ import annotations

from typing import Final

from gateway.wording.language import mark, number, tr
from shared.events import LeaveReason, PlaybackFailure
from shared.failures import Fallback, Problem, ProblemKind, Refusal, Stop, StopKind
from shared.jobs import SkipKind
from shared.lyrics import LyricsProblem
from shared.models import MirrorService

REFUSAL_WORDS: Final[dict[Refusal, str]] = {
    Refusal.URL_TOO_LONG: mark("that URL is too long"),
    Refusal.BAD_CHARACTERS: mark("that URL contains characters that are not allowed"),
    Refusal.UNPARSABLE: mark("that URL does not parse"),
    Refusal.LOCAL_FILE: mark("local files can't be played, only http and https links"),
    Refusal.BAD_SCHEME: mark("only http and https links can be played"),
    Refusal.CREDENTIALS: mark("links with a user name or password are not allowed"),
    Refusal.NO_HOST: mark("that URL has no valid host"),
    Refusal.NUMERIC_HOST: mark("numeric hosts must be written as plain IP addresses"),
    Refusal.INTERNAL_HOST: mark("that host is internal"),
    Refusal.UNRESOLVABLE: mark("that host name could not be resolved"),
    Refusal.NOT_AN_ADDRESS: mark("the address is not an IP address"),
    Refusal.METADATA: mark("that host points to a cloud metadata address"),
    Refusal.LOOPBACK: mark("that host points to a loopback address"),
    Refusal.LINK_LOCAL: mark("that host points to a link-local address"),
    Refusal.UNSPECIFIED: mark("that host points to an unspecified address"),
    Refusal.MULTICAST: mark("that host points to a multicast address"),
    Refusal.PRIVATE: mark("that host points to a private address"),
    Refusal.CARRIER_NAT: mark("that host points to a carrier-grade NAT address"),
    Refusal.RESERVED: mark("that host points to a reserved address"),
    Refusal.NON_PUBLIC: mark("that host points to a non-public address"),
}

PROBLEM_WORDS: Final[dict[ProblemKind, str]] = {
    ProblemKind.REFUSED: mark("{subject} can't be played: {refusal}."),
    ProblemKind.TOO_LONG: mark("{subject} can't be played: it is longer than 24 hours."),
    ProblemKind.NO_AUDIO: mark("{subject} has no playable audio stream."),
    ProblemKind.UNSUPPORTED: mark("{subject} is unavailable (unsupported){fallback}."),
    ProblemKind.NOT_FOUND: mark("{subject} is unavailable ({http}){fallback}."),
    ProblemKind.NOT_A_URL: mark("{subject} is unavailable (not a URL){fallback}."),
    ProblemKind.HTTP: mark("{subject} can't be played: the site answered with an error ({http})."),
    ProblemKind.NETWORK: mark("{subject} can't be played: the site could not be reached; please try again later."),
    ProblemKind.OTHER: mark("{subject} can't be played: it could not be read."),
    ProblemKind.NO_RESULTS: mark("No results for {query}."),
    ProblemKind.EMPTY_PLAYLIST: mark("That playlist has no playable entries."),
    ProblemKind.SEARCH_UNAVAILABLE: mark("Search is not available right now."),
    ProblemKind.PRIVATE: mark("{subject} can't be played: {service} says it is private."),
    ProblemKind.REGION_LOCKED: mark("{subject} can't be played: {service} does not offer it in this bot's region."),
    ProblemKind.RATE_LIMITED: mark(
        "{subject} can't be read right now: {service} asks encore to wait; try again {after}."
    ),
    ProblemKind.SERVICE_ANSWER: mark(
        "{subject} can't be read: {service} answered with something that is not its data."
    ),
    ProblemKind.TIMED_OUT: mark("{subject} can't be read: {service} did not answer in time; please try again later."),
    ProblemKind.UNSUPPORTED_ITEM: mark(
        "{subject} is {item_words} on {service}, which encore does not play; links to songs, albums and playlists work."
    ),
    ProblemKind.MALFORMED_LINK: mark(
        "{subject} is not a complete {service} link (it may be cut off); copy the whole link with Share → Copy link."
    ),
    ProblemKind.NO_MATCH: mark("no recording close enough to it was found to play ({best}), so it was skipped."),
    ProblemKind.JOB_FAILED: mark("Something went wrong while looking that up. Please try again."),
}
"""Whole sentences; `{subject}` is "That link" (a /play reply) or "it" (after "Couldn't play <track>:")."""

SERVICE_NAMES: Final[dict[MirrorService, str]] = {
    MirrorService.SPOTIFY: "Spotify",
    MirrorService.APPLE: "Apple Music",
    MirrorService.DEEZER: "Deezer",
}

ITEM_WORDS: Final[dict[str, str]] = {
    "episode": mark("a podcast episode"),
    "show": mark("a podcast"),
    "podcast": mark("a podcast"),
    "audiobook": mark("an audiobook"),
    "chapter": mark("an audiobook chapter"),
    "music_video": mark("a music video"),
    "artist": mark("an artist page"),
    "station": mark("a radio station"),
    "radio": mark("a radio station"),
}

SOMETHING: Final = mark("something")

FALLBACK_WORDS: Final[dict[Fallback, str]] = {
    Fallback.OFF: mark("; search fallback is off on this server"),
    Fallback.NO_MATCH: mark(" and no close match was found by search"),
}

STOP_WORDS: Final[dict[StopKind, str]] = {
    StopKind.QUEUE_FULL: mark("the queue is full{limit}"),
    StopKind.USER_SHARE: mark("your share of the queue is used up{limit}"),
    StopKind.CAPPED: mark("only the first {count} of {of} entries are added"),
    StopKind.LOAD_FAILED: mark("the rest of the playlist could not be loaded{http}"),
    StopKind.SERVICE_CUT: mark(
        "{service}'s public page lists only the first {count} tracks (the bot's operator can "
        "configure {service} API access for whole playlists)"
    ),
    StopKind.UNKNOWN: mark("queueing could not go on"),
}

LEAVE_WORDS: Final[dict[LeaveReason, str]] = {
    LeaveReason.ASKED: mark("asked to leave"),
    LeaveReason.IDLE: mark("nothing left to play"),
    LeaveReason.ALONE: mark("everybody left the voice channel"),
}

PLAYBACK_WORDS: Final[dict[PlaybackFailure, str]] = {
    PlaybackFailure.UNAVAILABLE: mark("it could not be loaded"),
    PlaybackFailure.UNREADABLE: mark("it holds no audio that can be played (a broken or unsupported file)"),
    PlaybackFailure.TIMED_OUT: mark("its server sent no audio in time"),
    PlaybackFailure.BROKE_OFF: mark("the stream broke off while playing"),
    PlaybackFailure.CRASHED: mark("it made the player fail again and again"),
    PlaybackFailure.INTERRUPTED: mark("the player stopped while opening it, so it is not tried again"),
}
"""For UNAVAILABLE this is the generic clause; a `TrackFailed.problem` says more."""

SKIP_WORDS: Final[dict[SkipKind, str]] = {
    SkipKind.REFUSED: mark("{count} blocked (private or local address)"),
    SkipKind.NO_LINK: mark("{count} without a playable link"),
    SkipKind.TOO_LONG: mark("{count} longer than 24 hours"),
}

_NOT_ALLOWED: Final = mark("it is not allowed")
THAT_LINK: Final = mark("That link")
IT: Final = mark("it")
"""The subjects of a problem's sentence: a /play reply's link, or the track after "Couldn't play <track>:"."""


def refusal(problem: Problem) -> str:
    """`that host points to a private address`; a refused redirect says so."""
    words = tr(REFUSAL_WORDS[problem.refusal] if problem.refusal is not None else _NOT_ALLOWED)
    return tr("a redirect was refused: {why}", why=words) if problem.redirect else words


LYRICS_WORDS: Final[dict[LyricsProblem, str]] = {
    LyricsProblem.UNAVAILABLE: mark(
        "Lyrics are not available right now (LRCLIB did not answer); please try again later."
    ),
    LyricsProblem.RATE_LIMITED: mark("LRCLIB is busy; please try again {after}."),
    LyricsProblem.REFUSED: mark("Lyrics are not available: encore may not reach LRCLIB (ask the bot's operator)."),
    LyricsProblem.JOB_FAILED: mark("Something went wrong while looking the lyrics up. Please try again."),
}
"""`{after}` is "in 30 s" (LRCLIB's Retry-After) or "in a moment"."""


def lyrics_failure(problem: LyricsProblem | None, retry_after_s: int | None = None) -> str:
    after = tr("in {seconds} s", seconds=retry_after_s) if retry_after_s else tr("in a moment")
    return tr(LYRICS_WORDS[problem or LyricsProblem.UNAVAILABLE], after=after)


def sentence(problem: Problem, *, subject: str = THAT_LINK, query: str = "") -> str:
    """The problem as a sentence about `subject` (THAT_LINK or IT); `query` is shown (quoted, as given) for
    NO_RESULTS. Every sentence gets every field; each uses the ones it needs."""
    http = f"HTTP {problem.http_status}" if problem.http_status is not None else tr("HTTP error")
    best = (
        tr("best match {score}", score=f"{problem.score:.2f}")
        if problem.score is not None
        else tr("search found nothing")
    )
    after = tr("in {seconds} s", seconds=problem.retry_after_s) if problem.retry_after_s else tr("in a moment")
    return tr(
        PROBLEM_WORDS[problem.kind],
        service=SERVICE_NAMES[problem.service] if problem.service is not None else tr("the service"),
        item_words=tr(ITEM_WORDS.get(problem.item or "", SOMETHING)),
        best=best,
        after=after,
        subject=tr(subject),
        refusal=refusal(problem) if problem.kind is ProblemKind.REFUSED else "",
        fallback=tr(FALLBACK_WORDS[problem.fallback]) if problem.fallback is not None else "",
        http=http,
        query=f"“{query[:150]}”",
    )


def stop(stopped: Stop | None) -> str:
    """`the queue is full (500 items)`; without a stop, a full queue (what QUEUE_FULL means)."""
    if stopped is None:
        return tr(STOP_WORDS[StopKind.QUEUE_FULL], limit="")
    problem = stopped.problem
    limit = stopped.limit
    return tr(
        STOP_WORDS[stopped.kind],
        limit=tr(" ({count} items)", count=number(limit)) if limit is not None else "",
        count=number(limit) if limit is not None else tr("some"),
        of=number(stopped.of) if stopped.of is not None else tr("its"),
        http=f" (HTTP {problem.http_status})" if problem is not None and problem.http_status is not None else "",
        service=SERVICE_NAMES[stopped.service] if stopped.service is not None else tr("the service"),
    )


def left(reason: LeaveReason | None) -> str:
    if reason is None:
        return tr("Left the voice channel.")
    return tr("Left the voice channel ({why}).", why=tr(LEAVE_WORDS[reason]))
