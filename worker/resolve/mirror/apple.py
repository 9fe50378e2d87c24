"""Apple Music: songs and albums from the public iTunes lookup API, playlists from the page's own data.

- `GET /lookup?id=<id>&entity=song` (itunes.apple.com): `{resultCount, results}`; for an album the first result is
  the collection (`wrapperType` "collection", `collectionName`), the songs follow (`wrapperType` "track", `kind`
  "song", `trackName`, `artistName`, `collectionName`, `trackTimeMillis`, `artworkUrl100`). No results: the item
  is unknown or not sold in the lookup's storefront. The lookup gives no ISRC.
- Playlists (`pl.…` ids) are not in the lookup API: the page (`music.apple.com/<storefront>/playlist/<slug>/<id>`)
  embeds its data as JSON in `<script type="application/json" id="serialized-server-data">`: a list whose first
  element's `data.sections[]` hold `items[]` with `title`, `artistName`, `duration` (ms) and, for the header
  section, the playlist's `title`. A page without that script is SERVICE_ANSWER, a 404 is NOT_FOUND.
"""

from __future__ import annotations

import re
from typing import Any, Final

from shared import codec
from shared.failures import ProblemKind
from shared.models import MirrorService, Track
from worker.resolve.mirror.http import MirrorHttp, failure
from worker.resolve.mirror.links import MirrorLink
from worker.resolve.mirror.listing import MirrorListing, dict_at, list_at, mirror_track

_SERVICE: Final = MirrorService.APPLE
_SERVER_DATA: Final = re.compile(
    r'<script[^>]*id="serialized-server-data"[^>]*>(.*?)</script>', re.DOTALL | re.IGNORECASE
)
_SONG_URL: Final = "https://music.apple.com/song/{}"


def _lookup_track(raw: dict[str, Any]) -> Track | None:
    if raw.get("wrapperType") != "track" or raw.get("kind") != "song":
        return None
    return mirror_track(
        _SERVICE,
        url=_SONG_URL.format(raw.get("trackId")),
        title=raw.get("trackName"),
        artists=[raw.get("artistName")],
        album=raw.get("collectionName"),
        millis=raw.get("trackTimeMillis"),
        artwork=raw.get("artworkUrl100"),
    )


class Apple:
    def __init__(self, http: MirrorHttp, itunes_url: str, music_url: str) -> None:
        self._http = http
        self._itunes = itunes_url.rstrip("/")
        self._music = music_url.rstrip("/")

    async def listing(self, link: MirrorLink, cap: int) -> MirrorListing:
        if link.kind == "playlist":
            return await self._playlist(link, cap)
        answer = await self._http.get(f"{self._itunes}/lookup?id={link.item_id}&entity=song&limit=200")
        if answer.status != 200:
            kind = ProblemKind.NOT_FOUND if answer.status in (404, 410) else ProblemKind.HTTP
            raise failure(_SERVICE, kind, http_status=answer.status)
        found = self._http.json_of(answer)
        results = found.get("results") if isinstance(found, dict) else None
        if not isinstance(results, list):
            raise failure(_SERVICE, ProblemKind.SERVICE_ANSWER)
        rows = [r for r in results if isinstance(r, dict)]
        if not rows:
            raise failure(_SERVICE, ProblemKind.NOT_FOUND)
        tracks = [t for r in rows if (t := _lookup_track(r)) is not None]
        if link.kind == "song":
            wanted = [t for t in tracks if t.url == _SONG_URL.format(link.item_id)] or tracks[:1]
            if not wanted:
                raise failure(_SERVICE, ProblemKind.UNSUPPORTED_ITEM, item="music_video")
            return MirrorListing(tracks=tuple(wanted))
        header = next((r for r in rows if r.get("wrapperType") == "collection"), {})
        title = header.get("collectionName") if isinstance(header.get("collectionName"), str) else None
        count = header.get("trackCount") if isinstance(header.get("trackCount"), int) else None
        return MirrorListing(title=title, tracks=tuple(tracks[:cap]), total=count)

    async def _playlist(self, link: MirrorLink, cap: int) -> MirrorListing:
        answer = await self._http.get(f"{self._music}/us/playlist/encore/{link.item_id}", {"Accept": "text/html"})
        if answer.status in (404, 410):
            raise failure(_SERVICE, ProblemKind.NOT_FOUND, http_status=answer.status)
        if answer.status != 200:
            raise failure(_SERVICE, ProblemKind.HTTP, http_status=answer.status)
        found = _SERVER_DATA.search(answer.text)
        if found is None:
            raise failure(_SERVICE, ProblemKind.SERVICE_ANSWER)
        try:
            data = codec.loads(found.group(1))
        except ValueError:
            raise failure(_SERVICE, ProblemKind.SERVICE_ANSWER) from None
        sections = _sections(data)
        title: str | None = None
        tracks: list[Track] = []
        for section in sections:
            for item in list_at(section, "items"):
                if not isinstance(item, dict):
                    continue
                if section.get("itemKind") == "containerDetailHeaderLockup" and isinstance(item.get("title"), str):
                    title = title or item["title"]
                elif (track := _page_track(item)) is not None:
                    tracks.append(track)
        return MirrorListing(title=title, tracks=tuple(tracks[:cap]), total=len(tracks))


def _sections(data: object) -> list[dict[str, Any]]:
    first = data[0] if isinstance(data, list) and data else data
    inner = first.get("data") if isinstance(first, dict) else None
    sections = inner.get("sections") if isinstance(inner, dict) else None
    if not isinstance(sections, list):
        raise failure(_SERVICE, ProblemKind.SERVICE_ANSWER)
    return [s for s in sections if isinstance(s, dict)]


def _page_track(item: dict[str, Any]) -> Track | None:
    if "artistName" not in item or "duration" not in item:
        return None
    descriptor = dict_at(item, "contentDescriptor")
    identifiers = dict_at(descriptor, "identifiers")
    song_id = identifiers.get("storeAdamID") or item.get("id")
    if not isinstance(song_id, str | int) or not str(song_id).isdigit():
        return None
    return mirror_track(
        _SERVICE,
        url=_SONG_URL.format(song_id),
        title=item.get("title"),
        artists=[item.get("artistName")],
        millis=item.get("duration"),
    )
