"""The sandbox's panel on the local Discord's page: which worker owns the guild (its lease in Redis), each
worker's process, kill -9 / SIGTERM / restart buttons, and the demo library to play from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Final

import orjson
from aiohttp import web
from redis.asyncio import Redis

from sandbox.library import MediaServer
from sandbox.processes import Service
from shared.keys import Keys

STATIC: Final = Path(__file__).parent / "static"
SCRIPT: Final = "/sandbox/static/panel.js"
_ACTIONS: Final = ("kill", "terminate", "restart")


def _reply(data: object, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")


class Panel:
    def __init__(
        self, workers: Mapping[str, Service], redis: Redis, keys: Keys, guild_id: int, media: MediaServer
    ) -> None:
        self.workers = workers
        self.redis = redis
        self.keys = keys
        self.guild_id = guild_id
        self.media = media

    def routes(self) -> list[web.AbstractRouteDef]:
        return [
            web.static("/sandbox/static", STATIC),
            web.get("/sandbox/workers", self.status),
            web.post("/sandbox/workers/{name}/{action}", self.act),
            web.get("/sandbox/library", self.library),
        ]

    async def owner(self) -> str | None:
        raw = await self.redis.get(self.keys.lease(self.guild_id))
        return raw.decode(errors="replace").rpartition("|")[0] if raw else None

    async def status(self, _request: web.Request) -> web.Response:
        owner = await self.owner()
        workers = [
            {"name": name, "pid": w.pid, "state": w.state(), "starts": w.starts, "owner": name == owner}
            for name, w in self.workers.items()
        ]
        return _reply({"owner": owner, "workers": workers})

    async def act(self, request: web.Request) -> web.Response:
        worker = self.workers.get(request.match_info["name"])
        action = request.match_info["action"]
        if worker is None or action not in _ACTIONS:
            return _reply({"error": "no such worker or action"}, 404)
        if action == "kill":
            await worker.kill()
        elif action == "terminate":
            await worker.terminate()
        else:
            await worker.restart()
        return _reply({"name": worker.name, "state": worker.state()})

    async def library(self, _request: web.Request) -> web.Response:
        return _reply([asdict(entry) for entry in self.media.entries()])
