"""Classifies yt-dlp failures into what the resolver does next (search fallback, report, refuse)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from yt_dlp.networking.exceptions import HTTPError, TransportError
from yt_dlp.utils import DownloadError, ExtractorError, UnsupportedError

from shared.events import SubstitutionReason
from shared.failures import Fallback, Problem, ProblemKind, ProviderFailure
from worker.resolve.guard import Verdict

_MAX_CHAIN: Final = 12


_SUBSTITUTION: Final = {
    ProblemKind.NOT_FOUND: SubstitutionReason.GONE,
    ProblemKind.UNSUPPORTED: SubstitutionReason.UNSUPPORTED,
    ProblemKind.NOT_A_URL: SubstitutionReason.NOT_A_URL,
}
"""The failures a search may help with (the link is dead or unsupported, not the network), and what a substitute
found for each is announced as."""
SEARCHABLE: Final = frozenset(_SUBSTITUTION)


class GuardRefusedError(OSError):
    """Raised inside yt-dlp's HTTP stack when the guard refuses a request, redirect or connected address."""

    def __init__(self, verdict: Verdict, *, redirect: bool = False) -> None:
        super().__init__(f"a redirect was refused: {verdict}" if redirect else str(verdict))
        self.verdict = verdict
        self.redirect = redirect

    def problem(self) -> Problem:
        return self.verdict.problem(redirect=self.redirect)


def error_chain(err: BaseException) -> Iterator[BaseException]:
    """The exception, what it wraps (exc_info, cause, reason) and what it was raised from, breadth first."""
    seen: set[int] = set()
    todo: list[BaseException] = [err]
    while todo and len(seen) < _MAX_CHAIN:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        exc_info = getattr(current, "exc_info", None)
        linked = [current.__cause__, current.__context__, getattr(current, "cause", None)]
        linked += [getattr(current, "reason", None), exc_info[1] if isinstance(exc_info, tuple) else None]
        todo.extend(item for item in linked if isinstance(item, BaseException))


def refusal(err: BaseException) -> GuardRefusedError | None:
    return next((e for e in error_chain(err) if isinstance(e, GuardRefusedError)), None)


def _close_responses(chain: list[BaseException]) -> None:
    """yt-dlp keeps an HTTPError's response (and its socket) open for the caller; we are that caller."""
    for error in chain:
        if isinstance(error, HTTPError):
            error.response.close()


def classify(err: BaseException) -> tuple[Problem, str]:
    """What failed, and a short detail for logs; releases any HTTP response the error holds."""
    chain = list(error_chain(err))
    _close_responses(chain)
    refused = next((e for e in chain if isinstance(e, GuardRefusedError)), None)
    if refused is not None:
        return refused.problem(), str(refused)
    if any(isinstance(e, UnsupportedError) for e in chain):
        return Problem(kind=ProblemKind.UNSUPPORTED), "unsupported"
    http = next((e for e in chain if isinstance(e, HTTPError)), None)
    if http is not None:
        status = int(http.status)
        kind = ProblemKind.NOT_FOUND if status in (404, 410) else ProblemKind.HTTP
        return Problem(kind=kind, http_status=status if 100 <= status <= 599 else None), f"HTTP {status}"
    if any(isinstance(e, TransportError) for e in chain):
        return Problem(kind=ProblemKind.NETWORK), "network error"
    if any(isinstance(e, ExtractorError) and "is not a valid URL" in str(e) for e in chain):
        return Problem(kind=ProblemKind.NOT_A_URL), "not a URL"
    return Problem(kind=ProblemKind.OTHER), type(err).__name__


@dataclass(frozen=True, slots=True)
class DeadLink:
    """The one ladder for a link that failed: a refused link or an unreachable site is reported at once; a dead or
    unsupported link is searched for (smart fallback) unless the guild turned that off, and reported when no search
    result is close enough."""

    problem: Problem
    detail: str
    """For logs (and the substitution notice): `HTTP 404`, `unsupported`, ..."""
    cause: ProviderFailure = ProviderFailure.OTHER
    """How the source failed (worker/resolve/provider_failures.py); a block is searched for on other providers."""

    @classmethod
    def of(cls, err: BaseException) -> DeadLink:
        return cls(*classify(err))

    @property
    def failure(self) -> ProblemKind:
        return self.problem.kind

    def unsearchable(self) -> Problem | None:
        """The failure when no search is tried whatever the guild's setting, or None when a search may find a
        substitute."""
        return None if self.failure in SEARCHABLE else self.problem

    @property
    def substitution(self) -> SubstitutionReason:
        """Why a substitute replaced this link (only asked of a searchable failure; anything else reads as gone)."""
        return _SUBSTITUTION.get(self.failure, SubstitutionReason.GONE)

    def unplayed(self, fallback: Fallback) -> Problem:
        """The failure of a searchable link that is not replaced: the fallback was off or found no match."""
        return self.problem.model_copy(update={"fallback": fallback})


__all__ = ["SEARCHABLE", "DeadLink", "DownloadError", "GuardRefusedError", "classify", "error_chain", "refusal"]
