"""Discord-style HTTP replies and request body parsing for the fake REST API."""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import time
from dataclasses import dataclass, field
from typing import Any, Final

import orjson
from aiohttp import web

type JSON = dict[str, Any]


def json_reply(data: Any, status: int = 200) -> web.Response:
    """A JSON reply whose Content-Type is exactly ``application/json`` (nextcord compares literally)."""
    return web.Response(body=orjson.dumps(data), status=status, headers={"Content-Type": "application/json"})


def error_reply(status: int, code: int, message: str) -> web.Response:
    return json_reply({"message": message, "code": code}, status)


def no_content() -> web.Response:
    return web.Response(status=204)


def rate_limit_headers(method: str, route: str, major: str) -> dict[str, str]:
    """Generous per-bucket rate-limit headers (nextcord serialises calls without them)."""
    bucket = hashlib.sha1(f"{method} {route} {major}".encode(), usedforsecurity=False).hexdigest()[:16]
    return {
        "X-RateLimit-Limit": "50",
        "X-RateLimit-Remaining": "49",
        "X-RateLimit-Reset": f"{time.time() + 1:.3f}",
        "X-RateLimit-Reset-After": "1.000",
        "X-RateLimit-Bucket": bucket,
    }


@dataclass(slots=True)
class Body:
    """A parsed request body: JSON (or multipart ``payload_json``) plus uploaded files."""

    json: Any = None
    files: list[tuple[str, str, bytes]] = field(default_factory=list)


def _parse_multipart(content_type: str, raw: bytes) -> Body:
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + raw)
    body = Body()
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True)
        payload = data if isinstance(data, bytes) else b""
        if name == "payload_json":
            body.json = orjson.loads(payload)
        else:
            body.files.append((str(name), part.get_filename() or "", payload))
    return body


async def parse_body(request: web.Request) -> Body:
    raw = await request.read()
    if not raw:
        return Body()
    content_type = request.headers.get("Content-Type", "")
    if content_type.startswith("multipart/"):
        return _parse_multipart(content_type, raw)
    try:
        return Body(json=orjson.loads(raw))
    except orjson.JSONDecodeError:
        return Body(json=raw.decode("utf-8", "replace"))


BODY: Final = web.RequestKey("body", Body)


def body_json(request: web.Request) -> JSON:
    """The request's JSON object (``{}`` if there was none)."""
    body = request[BODY]
    return body.json if isinstance(body.json, dict) else {}
