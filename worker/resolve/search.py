"""Text search through the provider chain (worker/resolve/chain.py), and the smart fallback's use of it."""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Final

from shared.jobs import MAX_QUERY_LENGTH, SEARCH_SIZE
from shared.models import GuildSettings, Track
from worker.resolve.chain import ProviderChain
from worker.resolve.fallback import Hint, Match, best_match
from worker.resolve.parts import ResolverParts

_log: Final = logging.getLogger(__name__)

MAX_FALLBACK_SEARCHES: Final = 2


class Searcher:
    """The one text-search path: `tracks` is what `/play` text, `/search`, smart fallback, autoplay and matching
    call."""

    def __init__(self, parts: ResolverParts) -> None:
        self.chain: Final = ProviderChain(parts, parts.breakers)

    async def substitute(
        self, candidates: list[Hint], settings: GuildSettings | None = None, skip: Collection[str] = ()
    ) -> Match | None:
        """The first confident match for the recovered queries, trying at most two of them."""
        for hint in candidates[:MAX_FALLBACK_SEARCHES]:
            tracks = await self.tracks(hint.query, SEARCH_SIZE, settings, skip)
            match = best_match(hint, tracks or [])
            _log.info("fallback search %r (%s): %s", hint.query, hint.source, match.score if match else "no match")
            if match is not None:
                return match
        return None

    async def tracks(
        self, query: str, limit: int, settings: GuildSettings | None = None, skip: Collection[str] = ()
    ) -> list[Track] | None:
        """Search results of the first provider of the guild's chain (`settings`; None: the operator's) that has
        any, `skip` passed over (cached per provider); [] when none found anything, None when every provider
        failed."""
        query = " ".join(query.split())[:MAX_QUERY_LENGTH]
        return await self.chain.search(query, limit, settings, skip)
