"""Interaction callbacks, followup webhooks (``@original`` too) and channel messages."""

from __future__ import annotations

import time
from collections.abc import Callable

from aiohttp import web

from localdiscord.fake_state import Core
from localdiscord.rest.attachments import Cdn
from localdiscord.rest.limits import callback_errors, invalid_form_body, message_errors
from localdiscord.rest.replies import BODY, JSON, body_json, error_reply, json_reply, no_content
from localdiscord.world.interactions import Callback, Interaction
from localdiscord.world.models import EPHEMERAL, LOADING, Message

_TRUE = ("1", "true", "True")


def _unknown_channel() -> web.Response:
    return error_reply(404, 10003, "Unknown Channel")


def _unknown_message() -> web.Response:
    return error_reply(404, 10008, "Unknown Message")


def _without_attachments(body: JSON) -> JSON:
    return {key: value for key, value in body.items() if key != "attachments"}


def write_message(cdn: Cdn, request: web.Request, message: Message, body: JSON, *, edit: bool) -> None:
    """Apply a create or edit `body` to `message`, with the files uploaded in `request` as its attachments."""
    current = list(message.attachments)
    message.apply(_without_attachments(body), edit=edit)
    found = cdn.attachments_of(
        message.channel_id, body, request[BODY].files, ephemeral=message.ephemeral, current=current
    )
    if found is not None:
        message.attachments = found


def attach_new(cdn: Cdn, request: web.Request, message: Message, body: JSON) -> None:
    """The attachments of a message just created from `body` (stored on the CDN from the request's files)."""
    found = cdn.attachments_of(message.channel_id, body, request[BODY].files, ephemeral=message.ephemeral, current=[])
    if found is not None:
        message.attachments = found


def _one_message_routes(
    cdn: Cdn, path: str, find: Callable[[web.Request], Message | web.Response]
) -> list[web.RouteDef]:
    """GET, PATCH and DELETE of the one message at `path`; `find` gives it, or the error reply when there is none."""

    async def read(request: web.Request) -> web.Response:
        message = find(request)
        return message if isinstance(message, web.Response) else json_reply(message.payload())

    async def edit(request: web.Request) -> web.Response:
        message = find(request)
        if isinstance(message, web.Response):
            return message
        if oversize := message_errors(body_json(request)):
            return invalid_form_body(oversize)
        write_message(cdn, request, message, body_json(request), edit=True)
        return json_reply(message.payload())

    async def delete(request: web.Request) -> web.Response:
        message = find(request)
        if isinstance(message, web.Response):
            return message
        message.deleted = True
        return no_content()

    return [web.get(path, read), web.patch(path, edit), web.delete(path, delete)]


class MessageRoutes:
    def __init__(self, core: Core) -> None:
        self.core = core

    def routes(self) -> list[web.RouteDef]:
        hook = "/webhooks/{app_id}/{token}"
        return [
            web.post("/interactions/{interaction_id}/{token}/callback", self.callback),
            web.post(hook, self.followup),
            *_one_message_routes(self.core.cdn, hook + "/messages/{message_id}", self._webhook_message),
            web.get("/channels/{channel_id}", self.get_channel),
            web.get("/channels/{channel_id}/messages", self.list_messages),
            web.post("/channels/{channel_id}/messages", self.create_message),
            *_one_message_routes(self.core.cdn, "/channels/{channel_id}/messages/{message_id}", self._channel_message),
        ]

    # interaction callbacks

    async def callback(self, request: web.Request) -> web.Response:
        interaction = self.core.interactions.get(int(request.match_info["interaction_id"]))
        if interaction is None or interaction.token != request.match_info["token"]:
            return error_reply(404, 10062, "Unknown interaction")
        elapsed = time.monotonic() - interaction.created
        if interaction.callback is not None:
            interaction.callbacks_rejected += 1
            return error_reply(400, 40060, "Interaction has already been acknowledged.")
        if elapsed > self.core.config.interaction_deadline:
            interaction.callbacks_rejected += 1
            return error_reply(404, 10062, "Unknown interaction")
        body = body_json(request)
        if oversize := callback_errors(body):
            return invalid_form_body(oversize)
        data: JSON = body.get("data") or {}
        self._apply_callback(request, interaction, int(body.get("type", 0)), data)
        interaction.callback = Callback(int(body.get("type", 0)), data, elapsed)
        if request.query.get("with_response") in _TRUE:
            resource: JSON = {"type": interaction.callback.type}
            if interaction.original is not None:
                resource["message"] = interaction.original.payload()
            return json_reply(
                {"interaction": {"id": str(interaction.id), "type": interaction.type}, "resource": resource}
            )
        return no_content()

    def _apply_callback(self, request: web.Request, interaction: Interaction, kind: int, data: JSON) -> None:
        flags = int(data.get("flags") or 0)
        if kind == 4:
            interaction.original = self._interaction_message(request, interaction, data)
        elif kind == 5:
            body = {"content": "", "flags": LOADING | (flags & EPHEMERAL)}
            interaction.original = self._interaction_message(request, interaction, body)
        elif kind in (6, 7) and interaction.component_message is not None:
            if kind == 7:
                write_message(self.core.cdn, request, interaction.component_message, data, edit=True)
            interaction.original = interaction.component_message

    def _interaction_message(self, request: web.Request, interaction: Interaction, body: JSON) -> Message:
        world = self.core.world
        message = world.add_message(
            interaction.channel_id,
            world.bot,
            _without_attachments(body),
            application_id=world.application_id,
            interaction_id=interaction.id,
        )
        attach_new(self.core.cdn, request, message, body)
        return message

    # followup webhooks

    def _webhook_interaction(self, request: web.Request) -> Interaction | None:
        interaction = self.core.interaction_by_token(request.match_info["token"])
        if interaction is None or request.match_info["app_id"] != str(self.core.world.application_id):
            return None
        if time.monotonic() - interaction.created > self.core.config.interaction_token_lifetime:
            return None
        return interaction

    async def followup(self, request: web.Request) -> web.Response:
        interaction = self._webhook_interaction(request)
        if interaction is None:
            return error_reply(404, 10015, "Unknown Webhook")
        if oversize := message_errors(body_json(request)):
            return invalid_form_body(oversize)
        message = self._interaction_message(request, interaction, body_json(request))
        interaction.followups.append(message)
        if request.query.get("wait") in _TRUE:
            return json_reply(message.payload())
        return no_content()

    def _webhook_message(self, request: web.Request) -> Message | web.Response:
        interaction = self._webhook_interaction(request)
        if interaction is None:
            return error_reply(404, 10015, "Unknown Webhook")
        wanted = request.match_info["message_id"]
        if wanted == "@original":
            message = interaction.original
        else:
            message = next((m for m in interaction.followups if str(m.id) == wanted), None)
        if message is None or message.deleted:
            return _unknown_message()
        return message

    # channel messages

    async def get_channel(self, request: web.Request) -> web.Response:
        channel = self.core.world.channels.get(int(request.match_info["channel_id"]))
        return json_reply(channel.payload()) if channel else _unknown_channel()

    def _channel_message(self, request: web.Request) -> Message | web.Response:
        message = self.core.world.messages.get(int(request.match_info["message_id"]))
        if message is None or message.deleted or str(message.channel_id) != request.match_info["channel_id"]:
            return _unknown_message()
        return message

    async def list_messages(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel_id"])
        if channel_id not in self.core.world.channels:
            return _unknown_channel()
        limit = int(request.query.get("limit", "50"))
        found = [
            m.payload()
            for m in reversed(self.core.world.messages.values())
            if m.channel_id == channel_id and not m.deleted and not m.ephemeral
        ]
        return json_reply(found[:limit])

    async def create_message(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel_id"])
        if channel_id not in self.core.world.channels:
            return _unknown_channel()
        body = body_json(request)
        if oversize := message_errors(body):
            return invalid_form_body(oversize)
        message = self.core.world.add_message(channel_id, self.core.world.bot, _without_attachments(body))
        attach_new(self.core.cdn, request, message, body)
        return json_reply(message.payload())
