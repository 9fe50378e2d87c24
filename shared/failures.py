"""Why something could not be done, as kinds with structured details; only the gateway turns them into words.

Results and events carry these instead of prose, so the member-facing text lives in one place
(`gateway/wording/failures.py`, one exhaustive mapping per enum) and every member's words can change without a
worker release.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Final

from pydantic import Field

from shared.models import MirrorService, WireModel


class Refusal(StrEnum):
    """Why the URL guard refuses a URL: a link encore may not fetch, whatever the source would answer."""

    URL_TOO_LONG = "url_too_long"
    BAD_CHARACTERS = "bad_characters"
    """Whitespace, backslashes or control characters."""
    UNPARSABLE = "unparsable"
    LOCAL_FILE = "local_file"
    """A `file:` URL."""
    BAD_SCHEME = "bad_scheme"
    """Any scheme but http and https."""
    CREDENTIALS = "credentials"
    """A user name or password in the URL."""
    NO_HOST = "no_host"
    NUMERIC_HOST = "numeric_host"
    """A decimal, octal, hex or short IPv4 spelling."""
    INTERNAL_HOST = "internal_host"
    """localhost, .local, .internal and the like."""
    UNRESOLVABLE = "unresolvable"
    NOT_AN_ADDRESS = "not_an_address"
    """A connection reached something that is not an IP address."""
    METADATA = "metadata"
    LOOPBACK = "loopback"
    LINK_LOCAL = "link_local"
    UNSPECIFIED = "unspecified"
    MULTICAST = "multicast"
    PRIVATE = "private"
    CARRIER_NAT = "carrier_nat"
    RESERVED = "reserved"
    NON_PUBLIC = "non_public"


class ProblemKind(StrEnum):
    """Why a link, a query or a lookup gave nothing to play."""

    REFUSED = "refused"
    """The URL guard refused the link, a redirect of it or its stream: `Problem.refusal` says why."""
    TOO_LONG = "too_long"
    """It is longer than 24 hours."""
    NO_AUDIO = "no_audio"
    """The source offers no playable audio stream."""
    UNSUPPORTED = "unsupported"
    NOT_FOUND = "not_found"
    """The source answered 404 or 410 (`http_status`)."""
    NOT_A_URL = "not_a_url"
    HTTP = "http"
    """The source answered with another HTTP error (`http_status`)."""
    NETWORK = "network"
    """The source could not be reached."""
    OTHER = "other"
    """The source gave something that could not be read."""
    NO_RESULTS = "no_results"
    """A search found nothing."""
    EMPTY_PLAYLIST = "empty_playlist"
    """A playlist has no playable entry (`ResolveResult.skipped` says why per entry)."""
    SEARCH_UNAVAILABLE = "search_unavailable"
    PRIVATE = "private"
    """A mirrored service says the item is private (`Problem.service`)."""
    REGION_LOCKED = "region_locked"
    """A mirrored service does not offer the item in the operator's region."""
    RATE_LIMITED = "rate_limited"
    """A mirrored service asks encore to wait (`Problem.retry_after_s`)."""
    SERVICE_ANSWER = "service_answer"
    """A mirrored service answered something that is not its API (HTML instead of JSON, a malformed document)."""
    TIMED_OUT = "timed_out"
    """A mirrored service did not answer in time."""
    UNSUPPORTED_ITEM = "unsupported_item"
    """A service link to something that is not music encore mirrors (`Problem.item`: a podcast episode, …)."""
    MALFORMED_LINK = "malformed_link"
    """A service link that is truncated or malformed (no valid id)."""
    NO_MATCH = "no_match"
    """No playable recording was close enough to a mirrored track (`Problem.score`: the best one's)."""
    JOB_FAILED = "job_failed"
    """The job raised, returned something that does not validate or kept no result (set by the gateway)."""


class ProviderFailure(StrEnum):
    """Why a media provider (YouTube, SoundCloud, ...) refused or failed a search or a stream, from yt-dlp's error;
    the label of `encore_provider_failures_total` and what the provider chain decides on."""

    BOT_CHECK = "bot_check"
    """"Sign in to confirm you're not a bot", a captcha: the source distrusts this IP address."""
    LOGIN_REQUIRED = "login_required"
    """Sign-in needed (age check, members only, "login details are needed")."""
    PO_TOKEN = "po_token"  # noqa: S105 - a failure class, not a secret
    """YouTube wants a proof-of-origin token that was not provided (or the PO-token provider failed)."""
    FORBIDDEN = "forbidden"
    """HTTP 403."""
    GEO_BLOCKED = "geo_blocked"
    UNAVAILABLE = "unavailable"
    """The item itself is gone, private or removed (HTTP 404/410): not the provider's fault."""
    RATE_LIMITED = "rate_limited"
    """HTTP 429, or YouTube's "This content isn't available, try again later" session limit."""
    NETWORK = "network"
    """The provider could not be reached (connection, TLS, timeout)."""
    OTHER = "other"


PROVIDER_BLOCKS: Final = frozenset(
    {
        ProviderFailure.BOT_CHECK,
        ProviderFailure.LOGIN_REQUIRED,
        ProviderFailure.PO_TOKEN,
        ProviderFailure.FORBIDDEN,
        ProviderFailure.GEO_BLOCKED,
        ProviderFailure.RATE_LIMITED,
    }
)
"""Source-side blocks: the provider refuses this worker, whatever is asked. A block moves a search (or a stream's
substitute) on to the next provider and counts towards that provider's circuit breaker."""


class Fallback(StrEnum):
    """What the search fallback did for a dead or unsupported link that was not played."""

    OFF = "off"
    """The guild turned it off."""
    NO_MATCH = "no_match"
    """No search result was close enough."""


class Problem(WireModel):
    """One failure: its kind and the details the words need (never a sentence)."""

    kind: ProblemKind
    refusal: Refusal | None = None
    """For REFUSED."""
    redirect: bool = False
    """For REFUSED: it was a redirect of the link that was refused."""
    http_status: int | None = Field(default=None, ge=100, le=599)
    fallback: Fallback | None = None
    """For a dead or unsupported link: why no substitute is played instead."""
    service: MirrorService | None = None
    """For the mirrored services' problems: which service."""
    item: str | None = Field(default=None, pattern=r"^[a-z_]{1,24}$")
    """For UNSUPPORTED_ITEM: what the link is (`episode`, `show`, `audiobook`, …)."""
    retry_after_s: int | None = Field(default=None, ge=0, le=86_400)
    score: float | None = Field(default=None, ge=0.0, le=1.0)
    """For NO_MATCH: the best candidate's score (None: nothing was found at all)."""


class StopKind(StrEnum):
    """Why queueing stopped early (or added nothing)."""

    QUEUE_FULL = "queue_full"
    """The guild's queue is at its length limit (`Stop.limit`)."""
    USER_SHARE = "user_share"
    """The member's share of the queue is used up (`Stop.limit`)."""
    CAPPED = "capped"
    """Only the first `Stop.limit` of the playlist's `Stop.of` entries are added (max_playlist_entries)."""
    LOAD_FAILED = "load_failed"
    """The rest of the playlist could not be loaded (`Stop.problem`)."""
    SERVICE_CUT = "service_cut"
    """A mirrored service's public page lists only the first `Stop.limit` tracks (`Stop.service`)."""
    UNKNOWN = "unknown"
    """An older release's stop, written as text."""


class Stop(WireModel):
    kind: StopKind
    limit: int | None = Field(default=None, ge=0)
    of: int | None = Field(default=None, ge=0)
    problem: Problem | None = None
    service: MirrorService | None = None


def without_prose(data: Any, *fields: str) -> Any:
    """`data` without older releases' prose `fields`, for a `model_validator(mode="before")`; the gateway gives
    such a value its generic words."""
    if isinstance(data, dict) and any(name in data for name in fields):
        return {key: value for key, value in data.items() if key not in fields}
    return data
