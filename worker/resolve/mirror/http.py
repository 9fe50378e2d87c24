"""The mirrored services' HTTP policy, over the resolver's guarded stack (`YtDlp.get` / `post`).

- Every request is bounded by `MirrorSettings.timeout_s`; a slow service is TIMED_OUT, never waited on longer.
- A 5xx or a network error is tried again `retries` times, 0.5 s, 1 s, 2 s … apart.
- A 429 whose `Retry-After` is at most `max_retry_after_s` is waited out once; a longer one (or a second 429) is
  RATE_LIMITED with the wait, so the member is told when to try again, and until then this worker sends that
  service nothing: every request in the wait is RATE_LIMITED at once with what is left of it (a service that is
  asked again while it said wait tends to lengthen the wait or block the address). Without a `Retry-After`, the
  quiet is `QUIET_WITHOUT_RETRY_AFTER_S`.
- The URL guard's refusal is REFUSED (a base URL the operator set to a private address, a short link that
  redirects inward).
- Any other status is the caller's to judge (a 404 is "deleted", a 403 "private" or "region-locked" depending on
  the service), and `json_of` makes anything that is not JSON (an HTML error page, a captive portal) SERVICE_ANSWER.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Final

from yt_dlp.utils import YoutubeDLError

from shared import codec
from shared.failures import Problem, ProblemKind
from shared.models import MirrorService
from shared.settings import MirrorSettings
from worker.resolve.failures import refusal
from worker.resolve.ytdlp import HttpAnswer, YtDlp

_log: Final = logging.getLogger(__name__)

USER_AGENT: Final = "Mozilla/5.0 (compatible; encore/0.1; open-source Discord music bot)"
BACKOFF_S: Final = 0.5
QUIET_WITHOUT_RETRY_AFTER_S: Final = 10
MAX_ANSWER_BYTES: Final = 8 * 1024 * 1024
"""A 100-track embed page is ~0.5 MB; anything far larger is not what was asked for."""


class MirrorError(Exception):
    """A service gave no usable answer: `problem` says which kind, for the member's words."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.kind.value)
        self.problem = problem


def failure(service: MirrorService, kind: ProblemKind, **details: object) -> MirrorError:
    return MirrorError(Problem.model_validate({"kind": kind, "service": service, **details}))


def retry_after_s(answer: HttpAnswer) -> int | None:
    value = (answer.retry_after or "").strip()
    return min(86_400, int(value)) if value.isascii() and value.isdigit() else None


class MirrorHttp:
    """One service's requests with the policy above; `sleep` is injectable so unit tests need not wait."""

    def __init__(
        self,
        ytdlp: YtDlp,
        config: MirrorSettings,
        service: MirrorService,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._ytdlp = ytdlp
        self._config = config
        self.service: Final = service
        self._sleep = sleep
        self._quiet_until = 0.0
        """`time.monotonic()` before which the service asked not to be called."""
        self.requests = 0

    async def get(self, url: str, headers: Mapping[str, str] | None = None) -> HttpAnswer:
        return await self._with_policy(url, lambda h: self._ytdlp.get(url, h, MAX_ANSWER_BYTES), headers)

    async def post(self, url: str, body: bytes, headers: Mapping[str, str] | None = None) -> HttpAnswer:
        return await self._with_policy(url, lambda h: self._ytdlp.post(url, h, body, MAX_ANSWER_BYTES), headers)

    def json_of(self, answer: HttpAnswer) -> object:
        """The answer's JSON, or SERVICE_ANSWER (an HTML page or garbage where JSON belongs)."""
        try:
            return codec.loads(answer.text)
        except ValueError:
            _log.warning("%s answered something that is not JSON (%d)", self.service.value, answer.status)
            raise failure(self.service, ProblemKind.SERVICE_ANSWER) from None

    async def _with_policy(
        self, url: str, send: Callable[[dict[str, str]], Awaitable[HttpAnswer]], headers: Mapping[str, str] | None
    ) -> HttpAnswer:
        self._refuse_while_quiet()
        sent = {"User-Agent": USER_AGENT, "Accept": "application/json, text/html;q=0.8", **(headers or {})}
        waited_429 = False
        attempt = 0
        while True:
            answer = await self._attempt(url, send, sent, last=attempt >= self._config.retries)
            if answer is None:
                await self._sleep(BACKOFF_S * 2**attempt)
                attempt += 1
                continue
            if answer.status == 429:
                wait = retry_after_s(answer)
                if waited_429 or wait is None or wait > self._config.max_retry_after_s:
                    _log.warning("%s rate-limits this worker (Retry-After %s)", self.service.value, answer.retry_after)
                    quiet = QUIET_WITHOUT_RETRY_AFTER_S if wait is None else wait
                    self._quiet_until = max(self._quiet_until, time.monotonic() + quiet)
                    raise failure(self.service, ProblemKind.RATE_LIMITED, retry_after_s=wait)
                waited_429 = True
                await self._sleep(float(wait))
                continue
            if answer.status >= 500:
                if attempt >= self._config.retries:
                    raise failure(self.service, ProblemKind.HTTP, http_status=answer.status)
                await self._sleep(BACKOFF_S * 2**attempt)
                attempt += 1
                continue
            return answer

    def _refuse_while_quiet(self) -> None:
        left = self._quiet_until - time.monotonic()
        if left > 0:
            raise failure(self.service, ProblemKind.RATE_LIMITED, retry_after_s=math.ceil(left))

    async def _attempt(
        self, url: str, send: Callable[[dict[str, str]], Awaitable[HttpAnswer]], headers: dict[str, str], *, last: bool
    ) -> HttpAnswer | None:
        """One request: its answer, or None for a network error worth another attempt."""
        self.requests += 1
        try:
            async with asyncio.timeout(self._config.timeout_s):
                return await send(headers)
        except TimeoutError:
            _log.warning("%s did not answer within %.1f s", self.service.value, self._config.timeout_s)
            if last:
                raise failure(self.service, ProblemKind.TIMED_OUT) from None
        except (YoutubeDLError, OSError) as err:
            refused = refusal(err)
            if refused is not None:
                _log.error("the URL guard refuses %s: %s", url[:200], refused)
                raise MirrorError(refused.problem()) from err
            _log.warning("%s could not be reached: %s", self.service.value, err)
            if last:
                raise failure(self.service, ProblemKind.NETWORK) from err
        return None
