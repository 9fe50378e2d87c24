"""Spotify: the Web API with client credentials when the operator configured them, else the public embed page.

Web API (`MirrorSettings.spotify_api_url`): a token from `POST /api/token` (accounts, `grant_type=
client_credentials`, HTTP Basic with the app's id and secret; `{access_token, token_type, expires_in}`), kept until
a minute before it expires. `GET /v1/tracks/<id>`, `/v1/albums/<id>` (+ `/v1/albums/<id>/tracks` pages),
`/v1/playlists/<id>/tracks?limit=100&offset=` (the first page says the `total`; the others are then asked for four
at a time, up to `cap` tracks), and
`/v1/artists/<id>/top-tracks?market=`. A track is `{id, name, duration_ms, artists [{name}], album {name, images
[{url}]}, external_ids {isrc}, is_playable, restrictions {reason}}`; playlist items are `{track}` (null for a
removed track; `type` "episode" for podcast episodes, left out). 404 is a deleted (or private) item; 403 private.

Embed page (`open.spotify.com/embed/<kind>/<id>`): HTML with `<script id="__NEXT_DATA__" type="application/json">`
whose `props.pageProps.state.data.entity` is `{type, name, title, subtitle, artists [{name}], duration (ms),
coverArt {sources [{url}]}, trackList [{uri, title, subtitle (the artists, comma-separated), duration (ms),
isPlayable}]}`; it carries no ISRC and at most the first 100 tracks of a list (`MirrorListing.cut_at`).
"""

from __future__ import annotations

import asyncio
import base64
import re
import time
from collections.abc import Callable
from typing import Any, Final
from urllib.parse import urlencode

from shared import codec
from shared.failures import ProblemKind
from shared.models import MirrorService, Track
from shared.settings import MirrorSettings
from worker.resolve.mirror.http import MirrorHttp, failure
from worker.resolve.mirror.links import MirrorLink
from worker.resolve.mirror.listing import MirrorListing, dict_at, list_at, mirror_track

_SERVICE: Final = MirrorService.SPOTIFY
EMBED_LIMIT: Final = 100
PAGE_SIZE: Final = 100
PARALLEL_PAGES: Final = 4
"""Pages of a long playlist asked for at once (a 1,000-track playlist is ten pages)."""
_NEXT_DATA: Final = re.compile(r'<script[^>]*id="__NEXT_DATA__"[^>]*>(.*?)</script>', re.DOTALL | re.IGNORECASE)
_TRACK_URI: Final = re.compile(r"^spotify:track:([A-Za-z0-9]{22})$")
_TOKEN_MARGIN_S: Final = 60.0


def _first_url(images: object) -> object:
    if isinstance(images, list) and images and isinstance(images[0], dict):
        return images[0].get("url")
    return None


def api_track(raw: object, album: dict[str, Any] | None = None) -> Track | None:
    """A Web API track object (full or simplified; `album` for an album's simplified tracks)."""
    if not isinstance(raw, dict) or raw.get("type", "track") != "track" or not isinstance(raw.get("id"), str):
        return None
    artists = list_at(raw, "artists")
    album = dict_at(raw, "album") or album or {}
    ids = dict_at(raw, "external_ids")
    return mirror_track(
        _SERVICE,
        url=f"https://open.spotify.com/track/{raw['id']}",
        title=raw.get("name"),
        artists=[a.get("name") for a in artists if isinstance(a, dict)],
        album=album.get("name"),
        millis=raw.get("duration_ms"),
        isrc=ids.get("isrc"),
        artwork=_first_url(album.get("images")),
    )


def embed_track(raw: object, album: str | None, artwork: object) -> Track | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("uri"), str):
        return None
    uri = _TRACK_URI.match(raw["uri"])
    if uri is None or raw.get("isPlayable") is False:
        return None
    subtitle = raw["subtitle"] if isinstance(raw.get("subtitle"), str) else ""
    return mirror_track(
        _SERVICE,
        url=f"https://open.spotify.com/track/{uri.group(1)}",
        title=raw.get("title"),
        artists=[name.strip() for name in subtitle.split(",")],
        album=album,
        millis=raw.get("duration"),
        artwork=artwork,
    )


class Spotify:
    def __init__(self, http: MirrorHttp, config: MirrorSettings, *, clock: Callable[[], float] = time.monotonic):
        self._http = http
        self._config = config
        self._clock = clock
        self._token: tuple[str, float] | None = None
        self._token_lock = asyncio.Lock()
        """Requests made at once share one token request."""

    @property
    def uses_api(self) -> bool:
        config = self._config
        return bool(config.spotify_client_id.get_secret_value() and config.spotify_client_secret.get_secret_value())

    async def listing(self, link: MirrorLink, cap: int) -> MirrorListing:
        if self.uses_api:
            return await self._api_listing(link, cap)
        return await self._embed_listing(link)

    # ---- Web API -------------------------------------------------------------------------------------------

    async def _api_listing(self, link: MirrorLink, cap: int) -> MirrorListing:
        market = self._config.spotify_market
        if link.kind == "track":
            raw = await self._api(f"/v1/tracks/{link.item_id}?market={market}")
            if raw.get("is_playable") is False:
                raise failure(_SERVICE, ProblemKind.REGION_LOCKED)
            track = api_track(raw)
            if track is None:
                raise failure(_SERVICE, ProblemKind.SERVICE_ANSWER)
            return MirrorListing(tracks=(track,))
        if link.kind == "artist":
            raw = await self._api(f"/v1/artists/{link.item_id}/top-tracks?market={market}")
            tracks = list_at(raw, "tracks")
            found = [t for r in tracks if (t := api_track(r)) is not None]
            name = found[0].artists[0] if found and found[0].artists else None
            return MirrorListing(title=name, tracks=tuple(found[:cap]), total=len(found))
        if link.kind == "album":
            album = await self._api(f"/v1/albums/{link.item_id}?market={market}")
            path = f"/v1/albums/{link.item_id}/tracks?{urlencode({'market': market, 'limit': 50})}"
            tracks = await self._pages(path, album.get("tracks"), cap, lambda r: api_track(r, album))
            total = album.get("total_tracks") if isinstance(album.get("total_tracks"), int) else None
            return MirrorListing(title=_text(album.get("name")), tracks=tuple(tracks), total=total)
        page = f"/v1/playlists/{link.item_id}/tracks?{urlencode({'market': market, 'limit': PAGE_SIZE})}"
        playlist, tracks = await asyncio.gather(  # the name and the tracks at once
            self._api(f"/v1/playlists/{link.item_id}?fields=name,tracks.total&market={market}"),
            self._pages(page, None, cap, lambda r: api_track(r.get("track") if isinstance(r, dict) else r)),
        )
        counted = dict_at(playlist, "tracks")
        total = counted.get("total") if isinstance(counted.get("total"), int) else None
        return MirrorListing(title=_text(playlist.get("name")), tracks=tuple(tracks), total=total)

    async def _pages(
        self, path: str, first: object, cap: int, convert: Callable[[object], Track | None]
    ) -> list[Track]:
        """Every page of a paging object up to `cap`: the first, then the others `PARALLEL_PAGES` at a time (by
        offset, through the configured base, whatever host `next` names), in order."""
        sep = "&" if "?" in path else "?"
        page: Any = first if isinstance(first, dict) and isinstance(first.get("items"), list) else None
        if page is None:
            page = await self._api(f"{path}{sep}offset=0")
        items = list_at(page, "items")
        total, size = page.get("total"), len(items)
        pages = [items]
        if size and page.get("next") and isinstance(total, int):
            gate = asyncio.Semaphore(PARALLEL_PAGES)

            async def fetch(offset: int) -> list[Any]:
                async with gate:
                    return list_at(await self._api(f"{path}{sep}offset={offset}"), "items")

            pages += await asyncio.gather(*(fetch(offset) for offset in range(size, min(total, cap), size)))
        tracks = [t for chunk in pages for item in chunk if (t := convert(item)) is not None]
        return tracks[:cap]

    async def _api(self, path: str) -> dict[str, Any]:
        token = await self._access_token()
        answer = await self._http.get(f"{self._config.spotify_api_url.rstrip('/')}{path}", {"Authorization": token})
        if answer.status == 401:  # expired early: one fresh token
            self._token = None
            token = await self._access_token()
            answer = await self._http.get(f"{self._config.spotify_api_url.rstrip('/')}{path}", {"Authorization": token})
        if answer.status in (404, 410):
            raise failure(_SERVICE, ProblemKind.NOT_FOUND, http_status=answer.status)
        if answer.status == 403:
            raise failure(_SERVICE, ProblemKind.PRIVATE)
        if answer.status != 200:
            raise failure(_SERVICE, ProblemKind.HTTP, http_status=answer.status)
        found = self._http.json_of(answer)
        if not isinstance(found, dict):
            raise failure(_SERVICE, ProblemKind.SERVICE_ANSWER)
        return found

    async def _access_token(self) -> str:
        async with self._token_lock:
            if self._token is None or self._token[1] <= self._clock():
                self._token = await self._new_token()
            return self._token[0]

    async def _new_token(self) -> tuple[str, float]:
        config = self._config
        pair = f"{config.spotify_client_id.get_secret_value()}:{config.spotify_client_secret.get_secret_value()}"
        headers = {
            "Authorization": f"Basic {base64.b64encode(pair.encode()).decode()}",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        url = f"{config.spotify_accounts_url.rstrip('/')}/api/token"
        answer = await self._http.post(url, b"grant_type=client_credentials", headers)
        if answer.status != 200:
            raise failure(_SERVICE, ProblemKind.HTTP, http_status=answer.status)
        found = self._http.json_of(answer)
        token = found.get("access_token") if isinstance(found, dict) else None
        expires = found.get("expires_in") if isinstance(found, dict) else None
        if not isinstance(token, str) or not token or not isinstance(expires, int):
            raise failure(_SERVICE, ProblemKind.SERVICE_ANSWER)
        return f"Bearer {token}", self._clock() + max(0.0, expires - _TOKEN_MARGIN_S)

    # ---- embed page ----------------------------------------------------------------------------------------

    async def _embed_listing(self, link: MirrorLink) -> MirrorListing:
        url = f"{self._config.spotify_embed_url.rstrip('/')}/embed/{link.kind}/{link.item_id}"
        answer = await self._http.get(url, {"Accept": "text/html"})
        if answer.status in (404, 410):
            raise failure(_SERVICE, ProblemKind.NOT_FOUND, http_status=answer.status)
        if answer.status != 200:
            raise failure(_SERVICE, ProblemKind.HTTP, http_status=answer.status)
        entity = _embed_entity(answer.text)
        artwork = _first_url((entity.get("coverArt") or {}).get("sources"))
        if link.kind == "track":
            artists = list_at(entity, "artists")
            track = mirror_track(
                _SERVICE,
                url=link.canonical,
                title=entity.get("name") or entity.get("title"),
                artists=[a.get("name") for a in artists if isinstance(a, dict)],
                millis=entity.get("duration"),
                artwork=artwork,
            )
            if track is None:
                raise failure(_SERVICE, ProblemKind.SERVICE_ANSWER)
            if entity.get("isPlayable") is False:
                raise failure(_SERVICE, ProblemKind.REGION_LOCKED)
            return MirrorListing(tracks=(track,))
        title = _text(entity.get("name") or entity.get("title"))
        album = title if link.kind == "album" else None
        raw_list = list_at(entity, "trackList")
        tracks = [t for raw in raw_list if (t := embed_track(raw, album, artwork)) is not None]
        cut = EMBED_LIMIT if link.kind == "playlist" and len(raw_list) >= EMBED_LIMIT else None
        return MirrorListing(title=title, tracks=tuple(tracks), cut_at=cut)


def _embed_entity(html: str) -> dict[str, Any]:
    found = _NEXT_DATA.search(html)
    if found is None:
        raise failure(_SERVICE, ProblemKind.SERVICE_ANSWER)
    try:
        data = codec.loads(found.group(1))
    except ValueError:
        raise failure(_SERVICE, ProblemKind.SERVICE_ANSWER) from None
    entity: object = data
    for key in ("props", "pageProps", "state", "data", "entity"):
        entity = entity.get(key) if isinstance(entity, dict) else None
    if not isinstance(entity, dict):
        raise failure(_SERVICE, ProblemKind.SERVICE_ANSWER)
    return entity


def _text(value: object) -> str | None:
    return value[:256] if isinstance(value, str) and value.strip() else None
