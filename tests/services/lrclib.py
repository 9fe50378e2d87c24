"""A fake LRCLIB (https://lrclib.net) on 127.0.0.1: the real endpoints, JSON shapes and status codes.

`GET /api/get?track_name=&artist_name=[&album_name=][&duration=]`: the record whose title and artist equal the
given ones (case-insensitive) and whose duration is within 2 s, else 404 `{"code":404,"name":"TrackNotFound",
"message":...}`; 400 without track_name or artist_name. `GET /api/search?q=` (every word in title, artist or
album) or `?track_name=[&artist_name=]` (the title, and the artist, contain the given text): a list, maybe empty;
400 without either. Records: `{id, name, trackName, artistName, albumName, duration, instrumental, plainLyrics,
syncedLyrics}` (LRCLIB's own field names; `duration` in seconds as a float).

`fail(status, times, retry_after)` answers the next `times` API requests with that status instead (LRCLIB's error
JSON, a `Retry-After` header when given). `hits` counts API requests per path, failed ones included, and `agents`
records each request's User-Agent. It runs on its own event loop in a thread, like tests/media/server.py, so
worker processes and in-process services can use it alike.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, override

from aiohttp import web

from shared.codec import dumps
from tests.services.loopback_app import LoopbackApp, Served

NOT_FOUND: Final = {"code": 404, "name": "TrackNotFound", "message": "Failed to find specified track"}
DURATION_TOLERANCE_S: Final = 2.0


def song(
    lrclib_id: int,
    title: str,
    artist: str,
    duration_s: float,
    *,
    album: str = "Test Album",
    plain: str | None = None,
    synced: str | None = None,
    instrumental: bool = False,
) -> dict[str, Any]:
    """A record in LRCLIB's shape."""
    return {
        "id": lrclib_id,
        "name": title,
        "trackName": title,
        "artistName": artist,
        "albumName": album,
        "duration": float(duration_s),
        "instrumental": instrumental,
        "plainLyrics": plain,
        "syncedLyrics": synced,
    }


@dataclass
class _Fault:
    status: int
    times: int
    retry_after: str | None


@dataclass
class FakeLrclib(Served):
    SERVER_NAME: ClassVar[str] = "fake-lrclib"

    records: list[dict[str, Any]] = field(default_factory=list)
    port: int = 0
    hits: Counter[str] = field(default_factory=Counter)
    agents: list[str] = field(default_factory=list)
    _fault: _Fault | None = None
    _server: LoopbackApp | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def requests(self) -> int:
        return sum(self.hits.values())

    def fail(self, status: int, *, times: int = 1, retry_after: str | None = None) -> None:
        self._fault = _Fault(status, times, retry_after)

    @override
    def _app(self) -> web.Application:
        app = web.Application(middlewares=[self._count_and_fail])
        app.router.add_get("/api/get", self._get)
        app.router.add_get("/api/search", self._search)
        return app

    @web.middleware
    async def _count_and_fail(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.hits[request.path] += 1
        self.agents.append(request.headers.get("User-Agent", ""))
        fault = self._fault
        if fault is not None and fault.times > 0:
            fault.times -= 1
            body = {"code": fault.status, "name": "Error", "message": "fake failure"}
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            return _json(body, fault.status, headers)
        result: web.StreamResponse = await handler(request)
        return result

    async def _get(self, request: web.Request) -> web.Response:
        title, artist = request.query.get("track_name"), request.query.get("artist_name")
        if not title or not artist:
            return _json({"code": 400, "name": "QueryParamsError", "message": "missing track_name or artist_name"}, 400)
        duration = request.query.get("duration")
        for record in self.records:
            if _field(record, "trackName") != title.casefold() or _field(record, "artistName") != artist.casefold():
                continue
            length = record.get("duration")
            if not isinstance(length, float):
                continue
            if duration is not None and abs(float(duration) - length) > DURATION_TOLERANCE_S:
                continue
            return _json(record)
        return _json(NOT_FOUND, 404)

    async def _search(self, request: web.Request) -> web.Response:
        query, title = request.query.get("q"), request.query.get("track_name")
        if not query and not title:
            return _json({"code": 400, "name": "QueryParamsError", "message": "q or track_name is required"}, 400)
        if query:
            words = query.casefold().split()
            found = [r for r in self.records if all(w in _haystack(r) for w in words)]
        else:
            assert title is not None
            artist = request.query.get("artist_name", "").casefold()
            found = [
                r
                for r in self.records
                if title.casefold() in _field(r, "trackName") and artist in _field(r, "artistName")
            ]
        return _json(found)


def _haystack(record: dict[str, Any]) -> str:
    return " ".join(_field(record, name) for name in ("trackName", "artistName", "albumName"))


def _field(record: dict[str, Any], name: str) -> str:
    """A text field, folded ("" for what is not text: tests serve malformed records too)."""
    value = record.get(name)
    return value.casefold() if isinstance(value, str) else ""


def _json(body: object, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=dumps(body), status=status, content_type="application/json", headers=headers)
