"""The JSON (and HTML) the real Spotify, Apple Music and Deezer interfaces answer with, for catalogue tracks.

Field names and nesting follow each service's public documentation and pages: Spotify's Web API track, album and
paging objects and its embed page's `__NEXT_DATA__`; the iTunes lookup API's `results`; Apple Music's
`serialized-server-data` page script; Deezer's track, album, playlist and paged `data` objects.
"""

from __future__ import annotations

from typing import Any, Final

from shared.codec import dumps
from tests.media.catalogue import CatalogueTrack

TOKEN: Final = "BQDfake-access-token"
ARTWORK: Final = "https://i.scdn.co/image/ab67616d0000b273"


def spotify_id(number: int) -> str:
    """A catalogue track's 22-character Spotify id."""
    return f"{number:022d}"


def apple_id(number: int) -> int:
    return 1_000_000 + number


def deezer_id(number: int) -> int:
    return 5_000_000 + number


def _artist_id(name: str) -> str:
    return (name.replace(" ", "") * 3)[:22].ljust(22, "0")


def spotify_track(track: CatalogueTrack, *, playable: bool = True) -> dict[str, Any]:
    track_id = spotify_id(track.number)
    return {
        "type": "track",
        "id": track_id,
        "uri": f"spotify:track:{track_id}",
        "name": track.title,
        "duration_ms": track.duration_s * 1000,
        "artists": [{"type": "artist", "id": _artist_id(a), "name": a} for a in track.artists],
        "album": {"type": "album", "name": track.album, "images": [{"url": ARTWORK, "width": 640, "height": 640}]},
        "external_ids": {"isrc": track.isrc} if track.isrc else {},
        "is_playable": playable,
        **({} if playable else {"restrictions": {"reason": "market"}}),
    }


def spotify_page(items: list[dict[str, Any]], offset: int, limit: int, total: int, next_url: str | None) -> Any:
    return {"href": "", "items": items, "limit": limit, "offset": offset, "total": total, "next": next_url,
            "previous": None}  # fmt: skip


def spotify_embed(kind: str, name: str, tracks: list[CatalogueTrack], *, limit: int = 100) -> str:
    """The embed page: HTML around a `__NEXT_DATA__` script (at most `limit` tracks, as Spotify's)."""
    if kind == "track":
        track = tracks[0]
        entity: dict[str, Any] = {
            "type": "track", "name": track.title, "uri": f"spotify:track:{spotify_id(track.number)}",
            "artists": [{"name": a, "uri": f"spotify:artist:{_artist_id(a)}"} for a in track.artists],
            "duration": track.duration_s * 1000, "isPlayable": True,
            "coverArt": {"sources": [{"url": ARTWORK, "width": 300, "height": 300}]},
        }  # fmt: skip
    else:
        entity = {
            "type": kind, "name": name, "title": name, "subtitle": "encore tests",
            "coverArt": {"sources": [{"url": ARTWORK, "width": 300, "height": 300}]},
            "trackList": [
                {"uri": f"spotify:track:{spotify_id(t.number)}", "uid": f"u{t.number}", "title": t.title,
                 "subtitle": ", ".join(t.artists), "duration": t.duration_s * 1000, "isPlayable": True,
                 "isExplicit": False, "audioPreview": None}
                for t in tracks[:limit]
            ],
        }  # fmt: skip
    data = {"props": {"pageProps": {"state": {"data": {"entity": entity}, "settings": {}}}}, "page": "/embed"}
    script = dumps(data).decode()
    return (
        '<!DOCTYPE html><html><head><title>Spotify Embed</title></head><body><div id="__next"></div>'
        f'<script id="__NEXT_DATA__" type="application/json">{script}</script></body></html>'
    )


def itunes_song(track: CatalogueTrack) -> dict[str, Any]:
    return {
        "wrapperType": "track", "kind": "song", "trackId": apple_id(track.number), "trackName": track.title,
        "artistName": " & ".join(track.artists), "collectionName": track.album,
        "trackTimeMillis": track.duration_s * 1000, "artworkUrl100": "https://is1-ssl.mzstatic.com/a/100x100bb.jpg",
        "country": "USA", "isStreamable": True,
    }  # fmt: skip


def itunes_collection(collection_id: int, name: str, count: int) -> dict[str, Any]:
    return {"wrapperType": "collection", "collectionType": "Album", "collectionId": collection_id,
            "collectionName": name, "trackCount": count}  # fmt: skip


def apple_playlist_page(name: str, tracks: list[CatalogueTrack]) -> str:
    sections = [
        {"id": "header", "itemKind": "containerDetailHeaderLockup", "items": [{"title": name}]},
        {
            "id": "track-list", "itemKind": "trackLockup",
            "items": [
                {"title": t.title, "artistName": " & ".join(t.artists), "duration": t.duration_s * 1000,
                 "contentDescriptor": {"kind": "song", "identifiers": {"storeAdamID": str(apple_id(t.number))}}}
                for t in tracks
            ],
        },
    ]  # fmt: skip
    script = dumps([{"intent": {"$kind": "PlaylistDetailPageIntent"}, "data": {"sections": sections}}]).decode()
    return (
        f"<!DOCTYPE html><html><head><title>{name} - Apple Music</title></head><body>"
        f'<script type="application/json" id="serialized-server-data">{script}</script></body></html>'
    )


def deezer_track(track: CatalogueTrack, *, readable: bool = True) -> dict[str, Any]:
    return {
        "id": deezer_id(track.number), "readable": readable, "title": track.title, "title_short": track.title,
        "isrc": track.isrc or "", "duration": track.duration_s, "type": "track",
        "artist": {"id": 1, "name": track.artists[0], "type": "artist"},
        "contributors": [{"id": i, "name": a, "type": "artist"} for i, a in enumerate(track.artists)],
        "album": {"id": 2, "title": track.album, "cover_xl": "https://e-cdns-images.dzcdn.net/a/1000x1000.jpg"},
    }  # fmt: skip


def deezer_error(code: int, kind: str, message: str) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message, "code": code}}
