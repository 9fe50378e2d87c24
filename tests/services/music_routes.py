"""The routes of the fake music services (tests/services/music_services.py), one group per interface."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from shared.codec import dumps
from tests.services import music_shapes as shapes

if TYPE_CHECKING:
    from tests.services.music_services import FakeMusicServices

SPOTIFY_NOT_FOUND: Final = {"error": {"status": 404, "message": "Resource not found"}}


def json_response(body: object, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=dumps(body), status=status, content_type="application/json", headers=headers)


def _int(request: web.Request, name: str, default: int) -> int:
    value = request.query.get(name, "")
    return int(value) if value.isdigit() else default


def add_routes(app: web.Application, fake: FakeMusicServices) -> None:
    _spotify(app, fake)
    _spotify_pages(app, fake)
    _apple(app, fake)
    _deezer(app, fake)


def _by_spotify_id(fake: FakeMusicServices, track_id: str) -> int | None:
    number = int(track_id) if track_id.isdigit() else -1
    return number if 0 <= number < len(fake.catalogue.tracks) else None


def _spotify(app: web.Application, fake: FakeMusicServices) -> None:  # noqa: C901, PLR0915 - one closure per endpoint
    async def token(request: web.Request) -> web.Response:
        form = await request.post()
        if not fake.basic_ok(request) or form.get("grant_type") != "client_credentials":
            return json_response({"error": "invalid_client", "error_description": "Invalid client"}, 400)
        return json_response({"access_token": shapes.TOKEN, "token_type": "Bearer", "expires_in": 3600})

    def guarded(handler: Any) -> Any:
        async def wrapped(request: web.Request) -> web.Response:
            if not fake.authorised(request):
                return json_response({"error": {"status": 401, "message": "No token provided"}}, 401)
            result: web.Response = await handler(request)
            return result

        return wrapped

    async def track(request: web.Request) -> web.Response:
        number = _by_spotify_id(fake, request.match_info["id"])
        if number is None:
            return json_response(SPOTIFY_NOT_FOUND, 404)
        return json_response(shapes.spotify_track(fake.track(number), playable=number not in fake.region_locked))

    def paged(request: web.Request, numbers: list[int], path: str, wrap: bool) -> dict[str, Any]:
        offset, limit = _int(request, "offset", 0), min(_int(request, "limit", 20), 100)
        items = fake.spotify_tracks(fake.tracks_of(numbers[offset : offset + limit]), fake.region_locked)
        if wrap:
            items = [{"added_at": "2024-01-01T00:00:00Z", "track": item} for item in items]
        more = offset + limit < len(numbers)
        following = f"https://api.spotify.com{path}?offset={offset + limit}&limit={limit}" if more else None
        page: dict[str, Any] = shapes.spotify_page(items, offset, limit, len(numbers), following)
        return page

    async def playlist(request: web.Request) -> web.Response:
        found = fake.spotify["playlist"].get(request.match_info["id"])
        if found is None or request.match_info["id"] in fake.private:
            return json_response(SPOTIFY_NOT_FOUND, 404)
        return json_response({"name": found.name, "tracks": {"total": len(found.numbers)}})

    async def playlist_tracks(request: web.Request) -> web.Response:
        found = fake.spotify["playlist"].get(request.match_info["id"])
        if found is None or request.match_info["id"] in fake.private:
            return json_response(SPOTIFY_NOT_FOUND, 404)
        return json_response(paged(request, found.numbers, request.path.removeprefix("/api"), wrap=True))

    async def album(request: web.Request) -> web.Response:
        found = fake.spotify["album"].get(request.match_info["id"])
        if found is None:
            return json_response(SPOTIFY_NOT_FOUND, 404)
        page = paged(request, found.numbers, f"/v1/albums/{request.match_info['id']}/tracks", wrap=False)
        for item in page["items"]:
            item.pop("album")
            item.pop("external_ids")  # an album's tracks are simplified track objects
        return json_response({"type": "album", "name": found.name, "total_tracks": len(found.numbers),
                              "images": [{"url": shapes.ARTWORK}], "tracks": page})  # fmt: skip

    async def album_tracks(request: web.Request) -> web.Response:
        found = fake.spotify["album"].get(request.match_info["id"])
        if found is None:
            return json_response(SPOTIFY_NOT_FOUND, 404)
        return json_response(paged(request, found.numbers, request.path.removeprefix("/api"), wrap=False))

    async def top_tracks(request: web.Request) -> web.Response:
        found = fake.spotify["artist"].get(request.match_info["id"])
        if found is None:
            return json_response(SPOTIFY_NOT_FOUND, 404)
        return json_response({"tracks": fake.spotify_tracks(fake.tracks_of(found.numbers[:10]), fake.region_locked)})

    app.router.add_post("/accounts/api/token", token)
    app.router.add_get("/api/v1/tracks/{id}", guarded(track))
    app.router.add_get("/api/v1/playlists/{id}", guarded(playlist))
    app.router.add_get("/api/v1/playlists/{id}/tracks", guarded(playlist_tracks))
    app.router.add_get("/api/v1/albums/{id}", guarded(album))
    app.router.add_get("/api/v1/albums/{id}/tracks", guarded(album_tracks))
    app.router.add_get("/api/v1/artists/{id}/top-tracks", guarded(top_tracks))


def _spotify_pages(app: web.Application, fake: FakeMusicServices) -> None:
    """The embed pages, open.spotify.com's own pages (where short links land) and the short links."""

    async def embed(request: web.Request) -> web.Response:
        kind, item_id = request.match_info["kind"], request.match_info["id"]
        if kind == "track":
            number = _by_spotify_id(fake, item_id)
            if number is None:
                return web.Response(status=404, text="<html>Page not found</html>", content_type="text/html")
            return web.Response(text=shapes.spotify_embed("track", "", [fake.track(number)]), content_type="text/html")
        found = fake.spotify.get(kind, {}).get(item_id)
        if found is None or item_id in fake.private:
            return web.Response(status=404, text="<html>Page not found</html>", content_type="text/html")
        page = shapes.spotify_embed(kind, found.name, fake.tracks_of(found.numbers))
        return web.Response(text=page, content_type="text/html")

    async def open_page(request: web.Request) -> web.Response:
        return web.Response(text="<html><title>Spotify</title></html>", content_type="text/html")

    async def short(request: web.Request) -> web.Response:
        target = fake.shorts.get(request.match_info["code"])
        if target is None:
            return web.Response(status=404, text="not found")
        raise web.HTTPFound(target)

    app.router.add_get("/open/embed/{kind}/{id}", embed)
    app.router.add_get("/{kind:track|album|playlist|artist}/{id}", open_page)
    app.router.add_get("/{locale:[a-z]{2}|intl-[a-z]{2}}/{kind:track|album|playlist|artist}/{id}", open_page)
    app.router.add_get("/short/{code}", short)


def _apple(app: web.Application, fake: FakeMusicServices) -> None:
    async def lookup(request: web.Request) -> web.Response:
        item = request.query.get("id", "")
        number = int(item) - 1_000_000 if item.isdigit() else -1
        album = fake.apple["album"].get(item)
        if album is not None:
            header = shapes.itunes_collection(int(item), album.name, len(album.numbers))
            songs = [shapes.itunes_song(t) for t in fake.tracks_of(album.numbers)]
            return json_response({"resultCount": 1 + len(songs), "results": [header, *songs]})
        if 0 <= number < len(fake.catalogue.tracks) and number not in fake.region_locked:
            return json_response({"resultCount": 1, "results": [shapes.itunes_song(fake.track(number))]})
        return json_response({"resultCount": 0, "results": []})

    async def playlist(request: web.Request) -> web.Response:
        found = fake.apple["playlist"].get(request.match_info["id"])
        if found is None or request.match_info["id"] in fake.private:
            return web.Response(status=404, text="<html>Not found</html>", content_type="text/html")
        page = shapes.apple_playlist_page(found.name, fake.tracks_of(found.numbers))
        return web.Response(text=page, content_type="text/html")

    app.router.add_get("/itunes/lookup", lookup)
    app.router.add_get("/music/{storefront}/playlist/{slug}/{id}", playlist)


def _deezer(app: web.Application, fake: FakeMusicServices) -> None:  # noqa: C901 - one closure per endpoint
    no_data = shapes.deezer_error(800, "DataException", "no data")

    async def track(request: web.Request) -> web.Response:
        item = request.match_info["id"]
        number = int(item) - 5_000_000 if item.isdigit() else -1
        if not 0 <= number < len(fake.catalogue.tracks):
            return json_response(no_data)
        return json_response(shapes.deezer_track(fake.track(number), readable=number not in fake.region_locked))

    async def album(request: web.Request) -> web.Response:
        found = fake.deezer["album"].get(request.match_info["id"])
        if found is None:
            return json_response(no_data)
        data = [shapes.deezer_track(t) for t in fake.tracks_of(found.numbers)]
        for item in data:
            item.pop("album")
        cover = "https://e-cdns-images.dzcdn.net/a.jpg"
        body = {"id": int(request.match_info["id"]), "title": found.name, "nb_tracks": len(data), "cover_xl": cover}
        return json_response({**body, "tracks": {"data": data}})

    def playlist_found(item: str) -> Any:
        if item in fake.private:
            return shapes.deezer_error(200, "PermissionException", "You must be the owner")
        return fake.deezer["playlist"].get(item)

    async def playlist(request: web.Request) -> web.Response:
        found = playlist_found(request.match_info["id"])
        if found is None:
            return json_response(no_data)
        if isinstance(found, dict):
            return json_response(found)
        count = fake.counts.get(request.match_info["id"], len(found.numbers))
        return json_response({"id": int(request.match_info["id"]), "title": found.name, "nb_tracks": count,
                              "public": True})  # fmt: skip

    async def playlist_tracks(request: web.Request) -> web.Response:
        found = playlist_found(request.match_info["id"])
        if found is None or isinstance(found, dict):
            return json_response(found or no_data)
        index, limit = _int(request, "index", 0), min(_int(request, "limit", 25), 100)
        chunk = fake.tracks_of(found.numbers[index : index + limit])
        body: dict[str, Any] = {"data": [shapes.deezer_track(t) for t in chunk], "total": len(found.numbers)}
        if index + limit < len(found.numbers):
            body["next"] = f"https://api.deezer.com/playlist/{request.match_info['id']}/tracks?index={index + limit}"
        return json_response(body)

    app.router.add_get("/deezer/track/{id}", track)
    app.router.add_get("/deezer/album/{id}", album)
    app.router.add_get("/deezer/playlist/{id}", playlist)
    app.router.add_get("/deezer/playlist/{id}/tracks", playlist_tracks)
