"""Fake Spotify (accounts token endpoint, Web API, embed page), Apple (iTunes lookup, Music pages) and Deezer (API)
on 127.0.0.1, fed by a generated catalogue (tests/media/catalogue.py); the shapes are tests/services/music_shapes.py.

One server, one path prefix per interface (each is a base URL in `MirrorSettings`): `/accounts`, `/api` (Spotify
Web API), `/open` (open.spotify.com: embed pages, and the targets of short links), `/itunes`, `/music`
(music.apple.com) and `/deezer`; `/short/<code>` redirects like spotify.link does (`shorts`).

Faults, per prefix, for the next `times` requests: `fail(prefix, status, retry_after=…)` (the service's error body
and a `Retry-After`), `html(prefix)` (an HTML page with status 200 where JSON belongs), `slow(prefix, seconds)`.
`hits` counts requests per prefix. Runs on its own loop in a thread (like tests/services/lrclib.py), so worker
processes and in-process services can use it alike.
"""

from __future__ import annotations

import asyncio
import base64
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, override

from aiohttp import web

from tests.media.catalogue import Catalogue, CatalogueTrack
from tests.services import music_shapes as shapes
from tests.services.loopback_app import LoopbackApp, Served
from tests.services.music_routes import add_routes, json_response

CLIENT_ID: Final = "encore-test-client"
CLIENT_SECRET: Final = "encore-test-secret"
HTML_PAGE: Final = "<!DOCTYPE html><html><head><title>Just a moment…</title></head><body>Checking…</body></html>"


@dataclass
class _Fault:
    kind: str
    times: int
    status: int = 200
    retry_after: str | None = None
    seconds: float = 0.0


@dataclass
class Collection:
    name: str
    numbers: list[int]


@dataclass
class FakeMusicServices(Served):
    SERVER_NAME: ClassVar[str] = "fake-music"

    catalogue: Catalogue
    port: int = 0
    spotify: dict[str, dict[str, Collection]] = field(
        default_factory=lambda: {"album": {}, "playlist": {}, "artist": {}}
    )
    apple: dict[str, dict[str, Collection]] = field(default_factory=lambda: {"album": {}, "playlist": {}})
    deezer: dict[str, dict[str, Collection]] = field(default_factory=lambda: {"album": {}, "playlist": {}})
    private: set[str] = field(default_factory=set)
    """Ids of playlists their owners made private."""
    region_locked: set[int] = field(default_factory=set)
    """Catalogue numbers not offered in the test's market."""
    counts: dict[str, int] = field(default_factory=dict)
    """Playlist id -> the track count to claim instead of the real one (malformed answers)."""
    shorts: dict[str, str] = field(default_factory=dict)
    """Short-link code -> where it redirects."""
    hits: Counter[str] = field(default_factory=Counter)
    latency_s: float = 0.0
    """Every answer waits this long first (benchmarks model a real service's round trip)."""
    _faults: dict[str, _Fault] = field(default_factory=dict)
    _server: LoopbackApp | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def settings(self, *, api: bool) -> dict[str, Any]:
        """`MirrorSettings` fields pointing every service here (with the Web API's credentials when `api`)."""
        credentials = {"spotify_client_id": CLIENT_ID, "spotify_client_secret": CLIENT_SECRET} if api else {}
        return {
            **credentials,
            "spotify_api_url": f"{self.base}/api", "spotify_accounts_url": f"{self.base}/accounts",
            "spotify_embed_url": f"{self.base}/open", "itunes_url": f"{self.base}/itunes",
            "apple_music_url": f"{self.base}/music", "deezer_api_url": f"{self.base}/deezer",
        }  # fmt: skip

    def environment(self, *, api: bool) -> dict[str, str]:
        return {f"ENCORE_WORKER__MIRROR__{k.upper()}": str(v) for k, v in self.settings(api=api).items()}

    def track(self, number: int) -> CatalogueTrack:
        return self.catalogue.tracks[number]

    def requests_total(self) -> int:
        return sum(self.hits.values())

    def fail(self, prefix: str, status: int, *, times: int = 1, retry_after: str | None = None) -> None:
        self._faults[prefix] = _Fault("status", times, status=status, retry_after=retry_after)

    def html(self, prefix: str, *, times: int = 1) -> None:
        self._faults[prefix] = _Fault("html", times)

    def slow(self, prefix: str, seconds: float, *, times: int = 1) -> None:
        self._faults[prefix] = _Fault("slow", times, seconds=seconds)

    # ---- lifecycle -----------------------------------------------------------------------------------------

    @override
    def _app(self) -> web.Application:
        app = web.Application(middlewares=[self._count_and_fault])
        add_routes(app, self)
        return app

    @web.middleware
    async def _count_and_fault(self, request: web.Request, handler: Any) -> web.StreamResponse:
        prefix = request.path.split("/")[1] if request.path.count("/") >= 1 else ""
        self.hits[prefix] += 1
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        fault = self._faults.get(prefix)
        if fault is not None and fault.times > 0:
            fault.times -= 1
            if fault.kind == "slow":
                await asyncio.sleep(fault.seconds)
            elif fault.kind == "html":
                return web.Response(text=HTML_PAGE, content_type="text/html")
            else:
                headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
                body = {"error": {"status": fault.status, "message": "fake failure"}}
                return json_response(body, fault.status, headers)
        result: web.StreamResponse = await handler(request)
        return result

    def authorised(self, request: web.Request) -> bool:
        return request.headers.get("Authorization") == f"Bearer {shapes.TOKEN}"

    @staticmethod
    def basic_ok(request: web.Request) -> bool:
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {expected}"

    def tracks_of(self, numbers: list[int]) -> list[CatalogueTrack]:
        return [self.catalogue.tracks[n] for n in numbers]

    @staticmethod
    def spotify_tracks(items: list[CatalogueTrack], locked: set[int]) -> list[dict[str, Any]]:
        return [shapes.spotify_track(t, playable=t.number not in locked) for t in items]
