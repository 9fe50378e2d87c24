"""What a pasted Spotify, Apple Music or Deezer link points at: the service, the kind of item and its id.

Every form members paste is read: locale prefixes (`/intl-de/`, `/en/`, Apple's storefront `/us/`), tracking
parameters (`?si=`, `utm_*`), `spotify:` URIs (and the legacy `spotify:user:…:playlist:…`), embed links, Apple's
album link to one song (`?i=`), and short links (`spotify.link`, `spotify.app.link`, `deezer.page.link`,
`link.deezer.com`) which only say where they redirect to (`ShortLink`: the resolver follows them through the
guarded stack and reads the target again). Hosts are matched by name alone (any scheme or port), so tests can serve
the same paths on loopback. A link of a service encore knows but cannot play (a podcast episode, an audiobook) is
an `UnsupportedLink`; one whose id is missing or malformed a `MalformedLink`. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qs, urlsplit

from shared.models import MirrorService

SPOTIFY_KINDS: Final = frozenset({"track", "album", "playlist", "artist"})
SPOTIFY_UNSUPPORTED: Final = frozenset({"episode", "show", "audiobook", "chapter", "user", "concert", "genre"})
APPLE_KINDS: Final = frozenset({"song", "album", "playlist"})
APPLE_UNSUPPORTED: Final = frozenset({"music-video", "artist", "station", "curator", "podcast", "episode", "radio"})
DEEZER_KINDS: Final = frozenset({"track", "album", "playlist"})
DEEZER_UNSUPPORTED: Final = frozenset({"episode", "show", "podcast", "artist", "radio", "profile", "audiobook"})

_SPOTIFY_ID: Final = re.compile(r"^[A-Za-z0-9]{22}$")
_APPLE_ID: Final = re.compile(r"^[0-9]{1,15}$")
_APPLE_PLAYLIST_ID: Final = re.compile(r"^pl\.[A-Za-z0-9-]{8,64}$")
_DEEZER_ID: Final = re.compile(r"^[0-9]{1,15}$")
_LOCALE: Final = re.compile(r"^(intl-[a-z]{2}(-[a-z]{2,4})?|[a-z]{2}(-[a-z]{2,4})?)$", re.IGNORECASE)

_SPOTIFY_HOSTS: Final = frozenset({"open.spotify.com", "play.spotify.com", "embed.spotify.com"})
_APPLE_HOSTS: Final = frozenset({"music.apple.com", "geo.music.apple.com", "itunes.apple.com", "embed.music.apple.com"})
_APPLE_PODCAST_HOSTS: Final = frozenset({"podcasts.apple.com", "books.apple.com"})
_DEEZER_HOSTS: Final = frozenset({"deezer.com", "www.deezer.com", "m.deezer.com"})
SHORT_HOSTS: Final[dict[str, MirrorService]] = {
    "spotify.link": MirrorService.SPOTIFY,
    "spotify.app.link": MirrorService.SPOTIFY,
    "deezer.page.link": MirrorService.DEEZER,
    "link.deezer.com": MirrorService.DEEZER,
}


@dataclass(frozen=True, slots=True)
class MirrorLink:
    """A link to one item of a mirrored service."""

    service: MirrorService
    kind: str
    """Spotify: track, album, playlist, artist (its top tracks); Apple: song, album, playlist; Deezer: track, album,
    playlist."""
    item_id: str

    @property
    def canonical(self) -> str:
        """The item's link without locale or tracking parameters (what a queued track keeps as its `url`)."""
        match self.service:
            case MirrorService.SPOTIFY:
                return f"https://open.spotify.com/{self.kind}/{self.item_id}"
            case MirrorService.APPLE:
                return f"https://music.apple.com/{self.kind}/{self.item_id}"
            case MirrorService.DEEZER:
                return f"https://www.deezer.com/{self.kind}/{self.item_id}"


@dataclass(frozen=True, slots=True)
class ShortLink:
    """A short link that must be followed (through the guard) to learn what it points at."""

    service: MirrorService
    url: str


@dataclass(frozen=True, slots=True)
class UnsupportedLink:
    service: MirrorService
    item: str
    """What it is: `episode`, `show`, `audiobook`, … (one lowercase word)."""


@dataclass(frozen=True, slots=True)
class MalformedLink:
    service: MirrorService


type ParsedLink = MirrorLink | ShortLink | UnsupportedLink | MalformedLink


def parse(text: str) -> ParsedLink | None:
    """What `text` (a URL or a `spotify:` URI) points at; None when it is no link of a mirrored service."""
    text = text.strip()
    if text[:8].lower() == "spotify:":
        return _spotify_uri(text)
    try:
        parts = urlsplit(text if "://" in text else f"https://{text}")
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:
        return None
    segments = [s for s in parts.path.split("/") if s]
    if host in SHORT_HOSTS:
        return ShortLink(SHORT_HOSTS[host], text) if segments else MalformedLink(SHORT_HOSTS[host])
    if host in _APPLE_HOSTS:
        return _apple_path(segments, parse_qs(parts.query))
    if host in _APPLE_PODCAST_HOSTS:
        return UnsupportedLink(MirrorService.APPLE, "podcast" if host.startswith("podcasts") else "audiobook")
    reader = _SPOTIFY_OR_DEEZER.get(host)
    return reader(segments) if reader is not None else None


def _kind_and_id(
    service: MirrorService, kind: str, item_id: str | None, kinds: frozenset[str], unsupported: frozenset[str]
) -> ParsedLink:
    kind = kind.lower()
    if kind in unsupported:
        return UnsupportedLink(service, kind.replace("-", "_"))
    if kind not in kinds or item_id is None:
        return MalformedLink(service)
    return MirrorLink(service, kind, item_id)


def _spotify_uri(text: str) -> ParsedLink:
    parts = text.split("?")[0].split(":")[1:]
    if len(parts) >= 4 and parts[0].lower() == "user" and parts[2].lower() == "playlist":
        parts = parts[2:]  # spotify:user:<name>:playlist:<id>
    if len(parts) != 2:
        return MalformedLink(MirrorService.SPOTIFY)
    item_id = parts[1] if _SPOTIFY_ID.match(parts[1]) else None
    return _kind_and_id(MirrorService.SPOTIFY, parts[0], item_id, SPOTIFY_KINDS, SPOTIFY_UNSUPPORTED)


def _spotify_path(segments: list[str]) -> ParsedLink:
    if segments and _LOCALE.match(segments[0]) and segments[0].lower() != "embed":
        segments = segments[1:]
    if segments and segments[0].lower() in ("embed", "embed-podcast"):
        segments = segments[1:]
    if len(segments) >= 4 and segments[0].lower() == "user" and segments[2].lower() == "playlist":
        segments = segments[2:]  # /user/<name>/playlist/<id>
    if len(segments) < 2:
        return MalformedLink(MirrorService.SPOTIFY)
    item_id = segments[1] if _SPOTIFY_ID.match(segments[1]) else None
    return _kind_and_id(MirrorService.SPOTIFY, segments[0], item_id, SPOTIFY_KINDS, SPOTIFY_UNSUPPORTED)


def _apple_path(segments: list[str], query: dict[str, list[str]]) -> ParsedLink:
    """`/<storefront>/<kind>/<slug>/<id>` (the slug may be missing); an album link with `?i=` names one song."""
    if segments and len(segments[0]) == 2 and segments[0].isalpha():
        segments = segments[1:]
    if not segments:
        return MalformedLink(MirrorService.APPLE)
    kind, item_id = segments[0].lower(), segments[-1] if len(segments) >= 2 else ""
    song = (query.get("i") or [""])[0]
    if kind == "album" and song:
        kind, item_id = "song", song
    if kind == "playlist":
        valid = _APPLE_PLAYLIST_ID.match(item_id) is not None
    else:
        item_id = item_id.removeprefix("id")  # itunes.apple.com/us/album/x/id123
        valid = _APPLE_ID.match(item_id) is not None
    return _kind_and_id(MirrorService.APPLE, kind, item_id if valid else None, APPLE_KINDS, APPLE_UNSUPPORTED)


def _deezer_path(segments: list[str]) -> ParsedLink:
    if segments and _LOCALE.match(segments[0]) and segments[0].lower() not in DEEZER_KINDS:
        segments = segments[1:]
    if len(segments) < 2:
        return MalformedLink(MirrorService.DEEZER)
    item_id = segments[1] if _DEEZER_ID.match(segments[1]) else None
    return _kind_and_id(MirrorService.DEEZER, segments[0], item_id, DEEZER_KINDS, DEEZER_UNSUPPORTED)


_SPOTIFY_OR_DEEZER: Final = {
    **dict.fromkeys(_SPOTIFY_HOSTS, _spotify_path),
    **dict.fromkeys(_DEEZER_HOSTS, _deezer_path),
}
