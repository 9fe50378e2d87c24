"""Classifies yt-dlp failures into what the resolver does next (search fallback, report, refuse)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from yt_dlp.networking.exceptions import HTTPError, TransportError
from yt_dlp.utils import DownloadError, ExtractorError, UnsupportedError

from shared.events import SubstitutionReason

_MAX_CHAIN: Final = 12


class Failure(StrEnum):
    UNSUPPORTED = "unsupported"
    NOT_FOUND = "not_found"
    HTTP = "http"
    NETWORK = "network"
    NOT_A_URL = "not_a_url"
    REFUSED = "refused"
    """The URL guard stopped a request yt-dlp was about to make (a redirect, an entry, a rebinding host)."""
    OTHER = "other"

    @property
    def searchable(self) -> bool:
        """Whether searching for the item may help: the link is dead or unsupported, not the network."""
        return self in _SUBSTITUTION


_SUBSTITUTION: Final = {
    Failure.NOT_FOUND: SubstitutionReason.GONE,
    Failure.UNSUPPORTED: SubstitutionReason.UNSUPPORTED,
    Failure.NOT_A_URL: SubstitutionReason.NOT_A_URL,
}
"""The failures a search may help with, and what a substitute found for each is announced as."""


FAILURE_TEXT: Final = {
    Failure.NETWORK: "the site could not be reached; please try again later",
    Failure.HTTP: "the site answered with an error",
    Failure.OTHER: "it could not be read",
}
"""What to tell the user about a failure that is not searched for."""


class GuardRefusedError(OSError):
    """Raised inside yt-dlp's HTTP stack when the guard refuses a request, redirect or connected address."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _chain(err: BaseException) -> Iterator[BaseException]:
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
    return next((e for e in _chain(err) if isinstance(e, GuardRefusedError)), None)


def _close_responses(chain: list[BaseException]) -> None:
    """yt-dlp keeps an HTTPError's response (and its socket) open for the caller; we are that caller."""
    for error in chain:
        if isinstance(error, HTTPError):
            error.response.close()


def classify(err: BaseException) -> tuple[Failure, str]:
    """The failure class and a short detail for logs and messages; releases any HTTP response the error holds."""
    chain = list(_chain(err))
    _close_responses(chain)
    refused = next((e for e in chain if isinstance(e, GuardRefusedError)), None)
    if refused is not None:
        return Failure.REFUSED, refused.reason
    if any(isinstance(e, UnsupportedError) for e in chain):
        return Failure.UNSUPPORTED, "unsupported"
    http = next((e for e in chain if isinstance(e, HTTPError)), None)
    if http is not None:
        status = int(http.status)
        return (Failure.NOT_FOUND if status in (404, 410) else Failure.HTTP), f"HTTP {status}"
    if any(isinstance(e, TransportError) for e in chain):
        return Failure.NETWORK, "network error"
    if any(isinstance(e, ExtractorError) and "is not a valid URL" in str(e) for e in chain):
        return Failure.NOT_A_URL, "not a URL"
    return Failure.OTHER, type(err).__name__


@dataclass(frozen=True, slots=True)
class DeadLink:
    """The one ladder for a link that failed: a refused link or an unreachable site is reported at once; a dead or
    unsupported link is searched for (smart fallback) unless the guild turned that off, and reported when no search
    result is close enough. `subject` names the link in messages ("That link", or the queued track's title)."""

    failure: Failure
    detail: str
    subject: str

    @classmethod
    def of(cls, err: BaseException, subject: str) -> DeadLink:
        failure, detail = classify(err)
        return cls(failure, detail, subject)

    def unsearchable(self) -> str | None:
        """Why no search is tried whatever the guild's setting, or None when a search may find a substitute."""
        if self.failure is Failure.REFUSED:
            return f"That link can't be played: {self.detail}."
        if not self.failure.searchable:
            return f"{self.subject} can't be played: {FAILURE_TEXT.get(self.failure, self.detail)} ({self.detail})."
        return None

    @property
    def substitution(self) -> SubstitutionReason:
        """Why a substitute replaced this link (only asked of a searchable failure; anything else reads as gone)."""
        return _SUBSTITUTION.get(self.failure, SubstitutionReason.GONE)

    def fallback_off(self) -> str:
        return f"{self.subject} is unavailable ({self.detail}); search fallback is off on this server."

    def no_match(self) -> str:
        return f"{self.subject} is unavailable ({self.detail}) and no close match was found by search."


__all__ = ["DeadLink", "DownloadError", "Failure", "GuardRefusedError", "classify", "refusal"]
