"""Which way a provider failed, read from yt-dlp's exceptions and from the words YouTube and others answer with.

yt-dlp raises ExtractorError (wrapped in DownloadError) with the site's own reason for most refusals, so the words
matter: "Sign in to confirm you're not a bot" (YouTube's bot check, with a typographic or a plain apostrophe),
"Sign in to confirm your age", "...has been rate-limited by YouTube...", "...require a GVS PO Token...". The
exception types decide first (GeoRestrictedError, HTTPError's status, TransportError), then the words, in the order
of `_PHRASES` (a bot check also says "sign in", so it is looked for before sign-in).
"""

from __future__ import annotations

import re
from typing import Final

from yt_dlp.networking.exceptions import HTTPError, TransportError
from yt_dlp.utils import ExtractorError, GeoRestrictedError

from shared.failures import ProviderFailure
from worker.resolve.failures import error_chain

_PHRASES: Final = (
    (ProviderFailure.BOT_CHECK, re.compile(r"not a bot|captcha|unusual traffic", re.IGNORECASE)),
    (ProviderFailure.PO_TOKEN, re.compile(r"\bpo[ _-]?token\b", re.IGNORECASE)),
    (
        ProviderFailure.RATE_LIMITED,
        re.compile(r"rate[- ]limit|too many requests|http error 429|try again later", re.IGNORECASE),
    ),
    (
        ProviderFailure.GEO_BLOCKED,
        re.compile(r"in your country|from your location|geo[- ]?restrict", re.IGNORECASE),
    ),
    (ProviderFailure.FORBIDDEN, re.compile(r"http error 403|\b403\b.*forbidden", re.IGNORECASE)),
    (
        ProviderFailure.UNAVAILABLE,
        re.compile(
            r"video unavailable|is unavailable|private video|has been removed|no longer available|does not exist"
            r"|http error 40[4]|http error 410|not found",
            re.IGNORECASE,
        ),
    ),
    (
        ProviderFailure.LOGIN_REQUIRED,
        re.compile(r"sign in|log ?in|login|members[- ]only|registered users|cookies", re.IGNORECASE),
    ),
)
_STATUS: Final = {403: ProviderFailure.FORBIDDEN, 429: ProviderFailure.RATE_LIMITED}


def failed_extractor(err: BaseException) -> str | None:
    """The lower-case name of the extractor that raised (yt-dlp stamps it on ExtractorError), if any."""
    names = (getattr(e, "ie", None) for e in error_chain(err) if isinstance(e, ExtractorError))
    return next((name.lower() for name in names if isinstance(name, str) and name), None)


def provider_failure(err: BaseException) -> ProviderFailure:
    """The class of one failed yt-dlp call (a search or a stream)."""
    chain = list(error_chain(err))
    if any(isinstance(e, GeoRestrictedError) for e in chain):
        return ProviderFailure.GEO_BLOCKED
    http = next((e for e in chain if isinstance(e, HTTPError)), None)
    if http is not None:
        status = int(http.status)
        if status in _STATUS:
            return _STATUS[status]
        if status in (404, 410):
            return ProviderFailure.UNAVAILABLE
    if any(isinstance(e, TransportError | TimeoutError | ConnectionError) for e in chain):
        return ProviderFailure.NETWORK
    text = " ".join(str(e) for e in chain)
    for kind, phrase in _PHRASES:
        if phrase.search(text):
            return kind
    return ProviderFailure.OTHER
