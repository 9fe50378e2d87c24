"""From a pasted link to a mirrored service's listing: parse, follow a short link, ask the service, cache.

A pasted link is never fetched itself (the service's API or page is, at its configured base URL); a short link is
followed through the guarded stack (every hop checked), and what it lands on is parsed again. Listings are cached
in Redis (`Keys.mirror_meta`) for `meta_cache_ttl_s`, so a second `/play` of a playlist asks the service nothing.
"""

from __future__ import annotations

import logging
from typing import Final, Protocol

from pydantic import ValidationError
from yt_dlp.utils import YoutubeDLError

from shared.failures import Problem, ProblemKind
from shared.keys import Keys
from shared.models import MirrorService
from shared.settings import MirrorSettings
from worker.resolve.cache_store import ResolveCache
from worker.resolve.failures import refusal
from worker.resolve.mirror import links
from worker.resolve.mirror.apple import Apple
from worker.resolve.mirror.deezer import Deezer
from worker.resolve.mirror.http import MirrorError, MirrorHttp
from worker.resolve.mirror.links import MalformedLink, MirrorLink, ShortLink, UnsupportedLink
from worker.resolve.mirror.listing import MirrorListing
from worker.resolve.mirror.spotify import Spotify
from worker.resolve.ytdlp import YtDlp

_log: Final = logging.getLogger(__name__)


class ServiceReader(Protocol):
    async def listing(self, link: MirrorLink, cap: int) -> MirrorListing: ...


class MirrorReader:
    """`read` a link of any mirrored service; None for anything else (the resolver then goes on as before)."""

    def __init__(self, ytdlp: YtDlp, config: MirrorSettings, cache: ResolveCache, keys: Keys) -> None:
        self._ytdlp = ytdlp
        self._config = config
        self._cache = cache
        self._keys = keys
        self.spotify: Final = Spotify(MirrorHttp(ytdlp, config, MirrorService.SPOTIFY), config)
        self._services: Final[dict[MirrorService, ServiceReader]] = {
            MirrorService.SPOTIFY: self.spotify,
            MirrorService.APPLE: Apple(
                MirrorHttp(ytdlp, config, MirrorService.APPLE), config.itunes_url, config.apple_music_url
            ),
            MirrorService.DEEZER: Deezer(MirrorHttp(ytdlp, config, MirrorService.DEEZER), config.deezer_api_url),
        }

    @staticmethod
    def recognises(text: str) -> bool:
        return links.parse(text) is not None

    async def read(self, text: str, cap: int) -> tuple[MirrorLink, MirrorListing] | Problem | None:
        """The link and its listing, why there is none, or None when `text` is no mirrored service's link."""
        parsed: links.ParsedLink | Problem | None = links.parse(text)
        if isinstance(parsed, ShortLink):
            parsed = await self._follow(parsed)
        match parsed:
            case Problem():
                return parsed
            case None:
                return None
            case UnsupportedLink(service=service, item=item):
                return Problem(kind=ProblemKind.UNSUPPORTED_ITEM, service=service, item=item)
            case MalformedLink(service=service) | ShortLink(service=service):
                return Problem(kind=ProblemKind.MALFORMED_LINK, service=service)
            case MirrorLink():
                return await self._listing(parsed, cap)

    async def _listing(self, link: MirrorLink, cap: int) -> tuple[MirrorLink, MirrorListing] | Problem:
        mode = "api" if link.service is MirrorService.SPOTIFY and self.spotify.uses_api else "public"
        key = self._keys.mirror_meta(link.service.value, f"{link.kind}|{mode}|{cap}", link.item_id)
        cached = await self._cache.get(key, MirrorListing)
        if cached is not None:
            return link, cached
        try:
            listing = await self._services[link.service].listing(link, cap)
        except MirrorError as err:
            _log.info("%s %s %s: %s", link.service.value, link.kind, link.item_id, err.problem.kind.value)
            return err.problem
        except ValidationError as err:  # a field out of every range (a negative count, …): not its data
            _log.warning("%s answered data out of range for %s: %s", link.service.value, link.item_id, err)
            return Problem(kind=ProblemKind.SERVICE_ANSWER, service=link.service)
        if not listing.tracks:
            return Problem(kind=ProblemKind.EMPTY_PLAYLIST, service=link.service)
        await self._cache.put(key, listing, self._config.meta_cache_ttl_s)
        return link, listing

    async def _follow(self, short: ShortLink) -> links.ParsedLink | Problem:
        """Where a short link redirects to, parsed; every hop through the guard."""
        try:
            target = await self._ytdlp.final_url(short.url, self._ytdlp.request_headers)
        except (YoutubeDLError, OSError, TimeoutError) as err:
            refused = refusal(err)
            if refused is not None:
                return refused.problem()
            _log.info("short link %s could not be followed: %s", short.url[:200], err)
            return Problem(kind=ProblemKind.NOT_FOUND, service=short.service)
        parsed = links.parse(target)
        return parsed if isinstance(parsed, MirrorLink | UnsupportedLink) else MalformedLink(short.service)
