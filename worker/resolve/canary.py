"""The canary: one known media URL (`WorkerSettings.canary_url`, e.g. a YouTube video) resolved to a playable stream
every `canary_interval_s`, through the same guard and yt-dlp as members' tracks, its result a metric
(`encore_canary_up`, `encore_canary_runs_total{result}`, `encore_canary_last_success_timestamp_seconds`).

A source that starts refusing this worker (a bot check, a PO token it cannot get, a yt-dlp that fell behind the
site) shows up here, with the failure class as the result, before members' tracks fail. Each worker runs its own
canary: workers on different addresses are blocked separately.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Final

from yt_dlp.utils import YoutubeDLError

from shared.models import Track
from worker.resolve.failures import classify
from worker.resolve.parts import ResolverParts
from worker.resolve.provider_failures import provider_failure
from worker.resolve.streams import make_stream

_log: Final = logging.getLogger(__name__)


class Canary:
    def __init__(self, parts: ResolverParts, url: str) -> None:
        self._d = parts
        self._url = url

    async def probe(self) -> str:
        """One canary resolve, recorded: "ok", "refused" (by the URL guard), "no_audio", or a provider failure."""
        started = time.monotonic()
        result = await self._result()
        self._d.metrics.canary(result, time.monotonic() - started)
        log = _log.info if result == "ok" else _log.warning
        log("canary %s: %s", self._url, result)
        return result

    async def run(self, interval_s: float) -> None:
        while True:
            await self.probe()
            await asyncio.sleep(interval_s)

    async def _result(self) -> str:
        if not (await self._d.guard.check(self._url)).allowed:
            return "refused"
        try:
            info = await self._d.ytdlp.stream(self._url)
        except (YoutubeDLError, TimeoutError) as err:
            classify(err)  # releases any HTTP response the error holds
            return provider_failure(err).value
        return "ok" if make_stream(info, Track(url=self._url, title="canary")) is not None else "no_audio"
