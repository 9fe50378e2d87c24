"""A fake SponsorBlock API on the loopback media server, speaking the real JSON shapes of both lookups.

`GET /api/skipSegments?videoID=<id>&categories=[...]&actionTypes=[...]` answers the video's segments as a list of
{segment: [start, end], UUID, category, actionType, videoDuration, locked, votes, description}; the privacy-
preserving `GET /api/skipSegments/<sha256 prefix>?categories=…` answers [{videoID, hash, segments: [...]}] for every
known video whose id hashes to that prefix. Both answer 404 "Not Found" when nothing matches, as the real API does.
Every bucket holds a decoy video too (a foreign id that shares the prefix), so a client must pick its own video out.
"""

from __future__ import annotations

import hashlib
import itertools
import string
from dataclasses import dataclass, field

from aiohttp import web

from shared.codec import dumps, loads

_DEFAULT_CATEGORIES = ["sponsor"]
_DEFAULT_ACTIONS = ["skip"]


def _sha(video: str) -> str:
    return hashlib.sha256(video.encode()).hexdigest()


@dataclass
class FakeSponsorBlock:
    videos: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    """Video id -> its segments in the API's shape."""
    status: int | None = None
    """Answer every request with this status instead (a server having a bad day)."""

    def add(self, video: str, category: str, start_s: float, end_s: float, action: str = "skip") -> None:
        segments = self.videos.setdefault(video, [])
        segments.append({
            "segment": [start_s, end_s], "UUID": f"{video}-{len(segments)}", "category": category,
            "actionType": action, "videoDuration": 30.0, "locked": 0, "votes": 3, "description": "",
        })  # fmt: skip
        self._add_decoy(video)

    def _add_decoy(self, video: str) -> None:
        prefix = _sha(video)[:4]
        if any(v != video and _sha(v).startswith(prefix) for v in self.videos):
            return
        for chars in itertools.product(string.ascii_letters, repeat=4):
            decoy = f"decoy{''.join(chars)}xy"
            if _sha(decoy).startswith(prefix):
                self.videos[decoy] = [{
                    "segment": [0.0, 29.0], "UUID": f"{decoy}-0", "category": "sponsor", "actionType": "skip",
                    "videoDuration": 30.0, "locked": 0, "votes": 1, "description": "",
                }]  # fmt: skip
                return

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/api/skipSegments", self._by_id)
        app.router.add_get("/api/skipSegments/{prefix}", self._by_prefix)

    def _filtered(self, request: web.Request, video: str) -> list[dict[str, object]]:
        categories = _json_list(request.query.get("categories"), _DEFAULT_CATEGORIES)
        actions = _json_list(request.query.get("actionTypes"), _DEFAULT_ACTIONS)
        return [s for s in self.videos.get(video, []) if s["category"] in categories and s["actionType"] in actions]

    async def _by_id(self, request: web.Request) -> web.Response:
        if self.status is not None:
            return web.Response(status=self.status, text="error")
        segments = self._filtered(request, request.query.get("videoID", ""))
        if not segments:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=dumps(segments), content_type="application/json")

    async def _by_prefix(self, request: web.Request) -> web.Response:
        if self.status is not None:
            return web.Response(status=self.status, text="error")
        prefix = request.match_info["prefix"].lower()
        found = []
        for video in self.videos:
            digest = _sha(video)
            if digest.startswith(prefix) and (segments := self._filtered(request, video)):
                found.append({"videoID": video, "hash": digest, "segments": segments})
        if not found:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=dumps(found), content_type="application/json")


def _json_list(raw: str | None, default: list[str]) -> list[str]:
    if raw is None:
        return default
    try:
        value = loads(raw)
    except ValueError:
        raise web.HTTPBadRequest from None
    if not isinstance(value, list):
        raise web.HTTPBadRequest
    return [str(v) for v in value]
