"""The search providers encore can put in its chain, as yt-dlp reaches them (checked against yt-dlp 2026.10.26).

- youtube: the `ytsearch` search key (YoutubeSearchIE).
- youtubemusic: yt-dlp has no YouTube Music search key, but reads music.youtube.com search pages
  (YoutubeMusicSearchURLIE); the `#songs` section holds songs only (no videos, albums or artists).
- soundcloud: the `scsearch` search key (SoundcloudSearchIE).
- Bandcamp: yt-dlp has no Bandcamp search (only track, album and artist pages), so it cannot be a provider; the
  settings refuse it with that reason. Bandcamp links still play.

Any other name is taken as a yt-dlp search key itself (e.g. `nicosearch`, or the tests' `localsearch` plugins), and
the worker refuses to start when yt-dlp has no search extractor with that key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote_plus


@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    search_key: str | None = None
    """yt-dlp's `<key><n>:<query>` search."""
    search_url: str | None = None
    """Or a search page (`{query}` URL-quoted) whose playlist entries are the results."""
    extractors: frozenset[str] = frozenset()
    """Lower-case yt-dlp extractor keys of the links it finds (a pasted link's block is charged to it)."""

    def target(self, query: str, limit: int) -> str:
        """What yt-dlp extracts for the first `limit` results of `query`."""
        if self.search_url is not None:
            return self.search_url.replace("{query}", quote_plus(query))
        return f"{self.search_key}{limit}:{query}"


KNOWN: Final = {
    "youtube": Provider("youtube", search_key="ytsearch", extractors=frozenset({"youtube"})),
    "youtubemusic": Provider(
        "youtubemusic", search_url="https://music.youtube.com/search?q={query}#songs", extractors=frozenset({"youtube"})
    ),
    "soundcloud": Provider("soundcloud", search_key="scsearch", extractors=frozenset({"soundcloud"})),
}


def provider(name: str) -> Provider:
    return KNOWN.get(name) or Provider(name, search_key=name)


def charged(providers: Iterable[Provider], name: str | None, extractor: str | None) -> list[Provider]:
    """The providers a failed track belongs to: the one that found it, else those whose links it is."""
    chain = list(providers)
    if name is not None:
        return [p for p in chain if p.name == name]
    family = (extractor or "").lower()
    return [p for p in chain if family and family in p.extractors]


def same_source(providers: Iterable[Provider], blocked: Iterable[Provider]) -> set[str]:
    """The names of `blocked` and of every provider streaming from the same site (YouTube Music's links are
    YouTube's): a substitute for a blocked track is searched for elsewhere."""
    chain, gone = list(providers), list(blocked)
    families = frozenset().union(*(p.extractors for p in gone))
    return {p.name for p in gone} | {p.name for p in chain if p.extractors & families}
