"""Deezer's public API (no key): `GET /track/<id>`, `/album/<id>`, `/playlist/<id>` and `/playlist/<id>/tracks`
(paged: `data`, `total`, `next`; after the first page the others are asked for four at a time, at most `cap`
tracks).

A track is `{id, title, title_short, duration (s), isrc, readable, artist {name}, contributors [{name}],
album {title, cover_xl}}`. Errors come as HTTP 200 with `{"error": {"type", "message", "code"}}`: code 800 ("no
data") is a deleted or unknown item, 4 a quota (rate limit); a playlist that is not public answers its own error.
A track whose `readable` is false is not offered in the operator's region.
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

from shared.failures import ProblemKind
from shared.models import MirrorService, Track
from worker.resolve.mirror.http import MirrorError, MirrorHttp, failure
from worker.resolve.mirror.links import MirrorLink
from worker.resolve.mirror.listing import MirrorListing, dict_at, list_at, mirror_track

_SERVICE: Final = MirrorService.DEEZER
PAGE_SIZE: Final = 100
PARALLEL_PAGES: Final = 4
_NO_DATA: Final = 800
_QUOTA: Final = 4
_PRIVATE_TYPES: Final = frozenset({"OAuthException", "PermissionException"})


def _track(raw: object) -> Track | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("id"), int):
        return None
    contributors = list_at(raw, "contributors")
    artist = dict_at(raw, "artist")
    names = [c.get("name") for c in contributors if isinstance(c, dict)] or [artist.get("name")]
    album = dict_at(raw, "album")
    return mirror_track(
        _SERVICE,
        url=f"https://www.deezer.com/track/{raw['id']}",
        title=raw.get("title"),
        artists=names,
        album=album.get("title"),
        seconds=raw.get("duration"),
        isrc=raw.get("isrc"),
        artwork=album.get("cover_xl") or album.get("cover_big"),
    )


class Deezer:
    def __init__(self, http: MirrorHttp, base_url: str) -> None:
        self._http = http
        self._base = base_url.rstrip("/")

    async def listing(self, link: MirrorLink, cap: int) -> MirrorListing:
        if link.kind == "track":
            raw = await self._object(f"/track/{link.item_id}")
            if raw.get("readable") is False:
                raise failure(_SERVICE, ProblemKind.REGION_LOCKED)
            track = _track(raw)
            if track is None:
                raise failure(_SERVICE, ProblemKind.SERVICE_ANSWER)
            return MirrorListing(tracks=(track,))
        if link.kind == "album":
            album = await self._object(f"/album/{link.item_id}")
            return self._album(album)
        playlist = await self._object(f"/playlist/{link.item_id}")
        tracks = await self._paged(f"/playlist/{link.item_id}/tracks", cap)
        total = playlist.get("nb_tracks") if isinstance(playlist.get("nb_tracks"), int) else None
        title = playlist.get("title") if isinstance(playlist.get("title"), str) else None
        return MirrorListing(title=title, tracks=tuple(tracks), total=total)

    def _album(self, album: dict[str, Any]) -> MirrorListing:
        data = album.get("tracks", {}).get("data") if isinstance(album.get("tracks"), dict) else None
        tracks: list[Track] = []
        for raw in data if isinstance(data, list) else []:
            if isinstance(raw, dict):
                raw = {**raw, "album": {**album, **(raw.get("album") or {})}}
            if (track := _track(raw)) is not None:
                tracks.append(track)
        title = album.get("title") if isinstance(album.get("title"), str) else None
        total = album.get("nb_tracks") if isinstance(album.get("nb_tracks"), int) else None
        return MirrorListing(title=title, tracks=tuple(tracks), total=total)

    async def _paged(self, path: str, cap: int) -> list[Track]:
        """The first page, then the others (by `index`, never the host `next` names) four at a time, in order."""
        first = await self._object(f"{path}?index=0&limit={PAGE_SIZE}")
        data, total = list_at(first, "data"), first.get("total")
        pages = [data]
        if data and first.get("next") and isinstance(total, int):
            gate = asyncio.Semaphore(PARALLEL_PAGES)

            async def fetch(index: int) -> list[Any]:
                async with gate:
                    return list_at(await self._object(f"{path}?index={index}&limit={PAGE_SIZE}"), "data")

            pages += await asyncio.gather(*(fetch(i) for i in range(len(data), min(total, cap), len(data))))
        return [t for page in pages for raw in page if (t := _track(raw)) is not None][:cap]

    async def _object(self, path: str) -> dict[str, Any]:
        answer = await self._http.get(f"{self._base}{path}")
        if answer.status in (404, 410):
            raise failure(_SERVICE, ProblemKind.NOT_FOUND, http_status=answer.status)
        if answer.status != 200:
            raise failure(_SERVICE, ProblemKind.HTTP, http_status=answer.status)
        found = self._http.json_of(answer)
        if not isinstance(found, dict):
            raise failure(_SERVICE, ProblemKind.SERVICE_ANSWER)
        error = found.get("error")
        if isinstance(error, dict):
            raise _error(error)
        return found


def _error(error: dict[str, Any]) -> MirrorError:
    code = error.get("code")
    if code == _NO_DATA:
        return failure(_SERVICE, ProblemKind.NOT_FOUND)
    if code == _QUOTA:
        return failure(_SERVICE, ProblemKind.RATE_LIMITED, retry_after_s=5)
    if error.get("type") in _PRIVATE_TYPES:
        return failure(_SERVICE, ProblemKind.PRIVATE)
    return failure(_SERVICE, ProblemKind.SERVICE_ANSWER)
