"""``LocalDiscordPage``: the local Discord in a browser, for one guild: act as its members, use the bot's slash
commands, click its buttons, join its voice channel and hear it.

Everything the page sends becomes what Discord would deliver: a typed interaction (``options.py`` refuses what
Discord's client refuses), a component click on a message the member can see, a voice state change. The page is
plain HTML and JavaScript under ``static/``; an application can add its own panels (a script and its routes).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import orjson
from aiohttp import web

from localdiscord.fake_discord import FakeDiscord
from localdiscord.web.audio import ListenerStream
from localdiscord.web.guard import LOOPBACK_NAMES, RequestGuard
from localdiscord.web.options import OptionError, TypedCommand, typed_command
from localdiscord.web.views import guild_view, messages_view
from localdiscord.world.interactions import Callback, InteractionHandle
from localdiscord.world.models import TEXT, VOICE, Channel, Guild, Member, Message

type JSON = dict[str, Any]

STATIC: Final = Path(__file__).parent / "static"
MAX_BODY: Final = 16 * 1024
NO_RESPONSE: Final = "The application did not respond"
_SECURITY_HEADERS: Final = {
    "Content-Security-Policy": "default-src 'self'; connect-src 'self'; img-src 'self' data:; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class PageError(web.HTTPBadRequest):
    """A refused request, with what Discord's client would show."""

    def __init__(self, message: str) -> None:
        super().__init__(text=orjson.dumps({"error": message}).decode(), content_type="application/json")


def _reply(data: object) -> web.Response:
    return web.Response(body=orjson.dumps(data), content_type="application/json")


def _component(components: list[JSON], custom_id: str) -> JSON | None:
    for component in components:
        if component.get("custom_id") == custom_id:
            return component
        if (found := _component(list(component.get("components") or []), custom_id)) is not None:
            return found
    return None


class LocalDiscordPage:
    """The page's aiohttp application over a running fake; ``panels`` are script URLs the page loads too."""

    def __init__(self, fake: FakeDiscord, guild: Guild, panels: Sequence[str] = ()) -> None:
        self.fake = fake
        self.guild = guild
        self.panels = list(panels)
        self.guard = RequestGuard()
        self.app = web.Application(client_max_size=MAX_BODY, middlewares=[self.guard.middleware, self._headers])
        self.app.add_routes(
            [
                web.get("/", self.index),
                web.static("/static", STATIC),
                web.get("/api/page", self.page),
                web.get("/api/messages", self.messages),
                web.post("/api/command", self.command),
                web.post("/api/autocomplete", self.autocomplete),
                web.post("/api/click", self.click),
                web.post("/api/voice", self.voice),
                web.get("/api/audio", self.audio),
            ]
        )

    @web.middleware
    async def _headers(self, request: web.Request, handler: Any) -> web.StreamResponse:
        response: web.StreamResponse = await handler(request)
        if not response.prepared:
            response.headers.update(_SECURITY_HEADERS)
        return response

    # what the page reads

    async def index(self, _request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html")

    async def page(self, _request: web.Request) -> web.Response:
        return _reply({"guild": guild_view(self.fake.core, self.guild), "panels": self.panels})

    async def messages(self, request: web.Request) -> web.Response:
        channel = self._channel(request.query.get("channel"), TEXT)
        viewer = self._member(request.query.get("viewer"))
        return _reply(messages_view(self.fake.core, channel.id, viewer.user.id))

    # what the page does

    async def command(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        member, channel, command = self._target(body)
        typed = self._typed(command, body, partial="")
        handle = await self.fake.interactions.invoke(
            typed.name,
            member=member,
            channel=channel,
            options=typed.options,
            subcommand=typed.subcommand,
            group=typed.group,
        )
        return _reply(await self._answered(handle))

    async def autocomplete(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        member, channel, command = self._target(body)
        focused = body.get("focused")
        if not isinstance(focused, str) or not focused:
            raise PageError("Which option is being typed?")
        typed = self._typed(command, body, partial=focused)
        handle = await self.fake.interactions.autocomplete(
            typed.name,
            member=member,
            channel=channel,
            focused=focused,
            options=typed.options,
            subcommand=typed.subcommand,
            group=typed.group,
        )
        try:
            return _reply({"choices": await handle.choices(self._deadline())})
        except (TimeoutError, AssertionError):
            return _reply({"choices": [], "error": "Loading options failed"})

    async def click(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        member = self._member(body.get("viewer"))
        message = self._message(body.get("message"), member)
        custom_id = body.get("custom_id")
        component = _component(message.components, custom_id) if isinstance(custom_id, str) else None
        if component is None or component.get("disabled"):
            raise PageError("This component is not on the message (or is disabled).")
        values = body.get("values")
        if values is not None and not (isinstance(values, list) and all(isinstance(v, str) for v in values)):
            raise PageError("Choose values from the menu.")
        handle = await self.fake.click(
            message, str(custom_id), member=member, component_type=int(component.get("type", 2)), values=values
        )
        return _reply(await self._answered(handle))

    async def voice(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        member = self._member(body.get("viewer"))
        if body.get("channel") is None:
            await self.fake.leave_voice(member)
        else:
            await self.fake.join_voice(member, self._channel(body.get("channel"), VOICE))
        return _reply({"voice": self.fake.world.voice_channel_of(self.guild, member.user.id)})

    async def audio(self, request: web.Request) -> web.WebSocketResponse:
        channel = self._channel(request.query.get("channel"), VOICE)
        member = self._member(request.query.get("viewer"))
        stream = ListenerStream(self.fake.voice.channel_audio(channel), member.user.id, self.fake.bot_user_id)
        return await stream.serve(request)

    # checking what was sent

    def _deadline(self) -> float:
        return self.fake.config.interaction_deadline + 0.5

    async def _answered(self, handle: InteractionHandle) -> JSON:
        try:
            callback: Callback = await handle.response(self._deadline())
        except TimeoutError:
            return {"interaction": str(handle.id), "error": NO_RESPONSE}
        return {"interaction": str(handle.id), "callback": callback.type, "ephemeral": callback.ephemeral}

    @staticmethod
    async def _body(request: web.Request) -> JSON:
        try:
            body = orjson.loads(await request.read())
        except (orjson.JSONDecodeError, web.HTTPRequestEntityTooLarge, asyncio.IncompleteReadError):
            raise PageError("The request is not JSON.") from None
        if not isinstance(body, dict):
            raise PageError("The request is not a JSON object.")
        return body

    def _member(self, raw: object) -> Member:
        member = self.guild.members.get(int(raw)) if isinstance(raw, str) and raw.isdigit() else None
        if member is None or member.user.bot:
            raise PageError("Act as a member of this server.")
        return member

    def _channel(self, raw: object, kind: int) -> Channel:
        channel = self.guild.channels.get(int(raw)) if isinstance(raw, str) and raw.isdigit() else None
        if channel is None or channel.type != kind:
            raise PageError(f"No such {'voice' if kind == VOICE else 'text'} channel in this server.")
        return channel

    def _message(self, raw: object, viewer: Member) -> Message:
        message = self.fake.core.world.messages.get(int(raw)) if isinstance(raw, str) and raw.isdigit() else None
        if message is None or message.deleted or message.guild_id != self.guild.id:
            raise PageError("Unknown message.")
        visible = messages_view(self.fake.core, message.channel_id, viewer.user.id, limit=10_000)
        if not any(m["id"] == str(message.id) for m in visible):
            raise PageError("Unknown message.")
        return message

    def _target(self, body: JSON) -> tuple[Member, Channel, JSON]:
        member = self._member(body.get("viewer"))
        channel = self._channel(body.get("channel"), TEXT)
        name = body.get("name")
        command = self.fake.core.commands.find(self.guild.id, name) if isinstance(name, str) else None
        if command is None:
            raise PageError(f"/{name} is not a command here." if isinstance(name, str) else "Type a command.")
        return member, channel, command

    def _typed(self, command: JSON, body: JSON, *, partial: str) -> TypedCommand:
        raw = body.get("options") or {}
        if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
            raise PageError("Options are name: text pairs.")
        subcommand, group = body.get("subcommand"), body.get("group")
        if not all(part is None or isinstance(part, str) for part in (subcommand, group)):
            raise PageError("A subcommand is a name.")
        try:
            return typed_command(command, raw, self.guild, subcommand=subcommand, group=group, partial=partial)
        except OptionError as exc:
            raise PageError(str(exc)) from None


async def serve_page(page: LocalDiscordPage, host: str, port: int) -> tuple[web.AppRunner, str]:
    """Start the page on ``host:port`` (0: any free port); returns its runner and its address."""
    page.guard.loopback_only = host in LOOPBACK_NAMES or host.startswith("127.")
    family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
    sock = socket.create_server((host, port), family=family)
    sock.setblocking(False)
    runner = web.AppRunner(page.app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.SockSite(runner, sock).start()
    bound = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return runner, f"http://{shown}:{bound}/"
