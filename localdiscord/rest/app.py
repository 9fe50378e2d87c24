"""REST v10 as nextcord 3.2.0 uses it: gateway discovery, the bot user, application commands."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import web

from localdiscord.fake_state import Core
from localdiscord.records import RequestRecord
from localdiscord.rest.channels import ChannelRoutes, Dispatch
from localdiscord.rest.limits import invalid_form_body
from localdiscord.rest.localizations import command_errors, without_localizations
from localdiscord.rest.messages import MessageRoutes
from localdiscord.rest.replies import (
    BODY,
    body_json,
    error_reply,
    json_reply,
    no_content,
    parse_body,
    rate_limit_headers,
)

API_PREFIX: Final = "/api/v10"
_UNAUTHENTICATED: Final = ("/interactions/", "/webhooks/")
type Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class RestApi:
    """Builds the ``/api/v10`` sub-application."""

    def __init__(self, core: Core, dispatch: Dispatch) -> None:
        self.core = core
        self.messages = MessageRoutes(core)
        self.channels = ChannelRoutes(core, dispatch)

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        app.add_routes(self._routes() + self.messages.routes() + self.channels.routes())
        return app

    def _routes(self) -> list[web.RouteDef]:
        cmds = "/applications/{app_id}/commands"
        guild_cmds = "/applications/{app_id}/guilds/{guild_id}/commands"
        routes = [
            web.get("/gateway", self.gateway),
            web.get("/gateway/bot", self.gateway_bot),
            web.get("/users/@me", self.users_me),
            web.get("/oauth2/applications/@me", self.application_me),
            web.get("/applications/@me", self.application_me),
        ]
        for base in (cmds, guild_cmds):
            routes += [
                web.get(base, self.list_commands),
                web.post(base, self.create_command),
                web.put(base, self.overwrite_commands),
                web.get(base + "/{command_id}", self.get_command),
                web.patch(base + "/{command_id}", self.edit_command),
                web.delete(base + "/{command_id}", self.delete_command),
            ]
        return routes

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.monotonic()
        path = request.path.removeprefix(API_PREFIX)
        body = await parse_body(request)
        request[BODY] = body
        delay = self.core.faults.rest_delay(request.method, path)
        if delay > 0:
            await asyncio.sleep(delay)
        response = await self._dispatch(request, handler, path)
        route = request.match_info.route.resource.canonical if request.match_info.route.resource else path
        major = next(iter(request.match_info.values()), "")
        response.headers.update(rate_limit_headers(request.method, route, major))
        self.core.requests.append(
            RequestRecord(
                request.method,
                path,
                dict(request.query),
                body.json,
                response.status,
                started,
                time.monotonic(),
                request.headers.get("Authorization"),
            )
        )
        return response

    async def _dispatch(self, request: web.Request, handler: Handler, path: str) -> web.StreamResponse:
        auth = request.headers.get("Authorization")
        if not path.startswith(_UNAUTHENTICATED) and auth != f"Bot {self.core.config.token}":
            return error_reply(401, 0, "401: Unauthorized")
        try:
            return await handler(request)
        except web.HTTPNotFound:
            return error_reply(404, 0, "404: Not Found")
        except web.HTTPMethodNotAllowed:
            return error_reply(405, 0, "405: Method Not Allowed")

    async def gateway(self, request: web.Request) -> web.Response:
        return json_reply({"url": self.core.gateway_url})

    async def gateway_bot(self, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1}
        return json_reply(
            {"url": self.core.gateway_url, "shards": self.core.config.shard_count, "session_start_limit": limit}
        )

    async def users_me(self, request: web.Request) -> web.Response:
        bot = self.core.world.bot
        return json_reply(bot.payload() | {"flags": 0, "verified": True, "mfa_enabled": False, "bot": True})

    async def application_me(self, request: web.Request) -> web.Response:
        world = self.core.world
        owner = world.bot.payload() | {"bot": False, "id": str(world.application_id + 1)}
        return json_reply(
            {
                "id": str(world.application_id),
                "name": world.bot.username,
                "description": "",
                "icon": None,
                "rpc_origins": [],
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": owner,
                "verify_key": "00" * 32,
                "team": None,
                "flags": 0,
                "summary": "",
            }
        )

    def _scope(self, request: web.Request) -> int | None:
        guild_id = request.match_info.get("guild_id")
        return int(guild_id) if guild_id else None

    def _wrong_app(self, request: web.Request) -> web.Response | None:
        if request.match_info["app_id"] != str(self.core.world.application_id):
            return error_reply(403, 50001, "Missing Access")
        return None

    async def list_commands(self, request: web.Request) -> web.Response:
        if (denied := self._wrong_app(request)) is not None:
            return denied
        listing = self.core.commands.listing(self._scope(request))
        if request.query.get("with_localizations") != "true":
            listing = [without_localizations(command) for command in listing]
        return json_reply(listing)

    async def create_command(self, request: web.Request) -> web.Response:
        if (denied := self._wrong_app(request)) is not None:
            return denied
        if (errors := command_errors(body_json(request))) is not None:
            return invalid_form_body(errors)
        command, created = self.core.commands.upsert(self._scope(request), body_json(request))
        return json_reply(command, 201 if created else 200)

    async def overwrite_commands(self, request: web.Request) -> web.Response:
        if (denied := self._wrong_app(request)) is not None:
            return denied
        body = request[BODY].json
        bodies = body if isinstance(body, list) else []
        errors = {str(index): found for index, one in enumerate(bodies) if (found := command_errors(one)) is not None}
        if errors:
            return invalid_form_body(errors)
        return json_reply(self.core.commands.overwrite(self._scope(request), bodies))

    async def get_command(self, request: web.Request) -> web.Response:
        command = self.core.commands.get(self._scope(request), int(request.match_info["command_id"]))
        return json_reply(command) if command else error_reply(404, 10063, "Unknown application command")

    async def edit_command(self, request: web.Request) -> web.Response:
        command_id = int(request.match_info["command_id"])
        if (errors := command_errors(body_json(request))) is not None:
            return invalid_form_body(errors)
        command = self.core.commands.edit(self._scope(request), command_id, body_json(request))
        return json_reply(command) if command else error_reply(404, 10063, "Unknown application command")

    async def delete_command(self, request: web.Request) -> web.Response:
        deleted = self.core.commands.delete(self._scope(request), int(request.match_info["command_id"]))
        return no_content() if deleted else error_reply(404, 10063, "Unknown application command")
