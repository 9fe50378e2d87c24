"""Attachments: files a bot uploads with a message and files a member attaches to a slash command, and the CDN
that serves them.

Discord's shape: a multipart body has `payload_json` and one part per file named `files[n]`; the payload's
`attachments` lists what the message keeps, new uploads as `{"id": n, "filename": ...}` (n the part's index) and
kept ones by their snowflake id. A message body without `attachments` keeps what the message had and adds every
uploaded file. Each stored attachment is a full attachment object (`id`, `filename`, `size`, `url`, `proxy_url`,
`content_type`, `ephemeral` for uploads to ephemeral messages and slash command options) whose `url` is on this
fake's CDN (`{cdn_base}/attachments/{channel}/{id}/{filename}`, `ephemeral-attachments/…` for ephemeral ones,
with Discord's signed `ex`/`is`/`hm` query), served by `Cdn.route`. Every CDN request is recorded.
"""

from __future__ import annotations

import mimetypes
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import quote

from aiohttp import web

from localdiscord.world.ids import Snowflakes

type JSON = dict[str, Any]

_FILE_PART: Final = re.compile(r"^files\[(\d+)\]$")
_EXPIRY_S: Final = 24 * 3600


@dataclass(frozen=True, slots=True)
class Upload:
    """A file a member attaches to a slash command option (`fake.invoke(..., options={"file": Upload(...)})`).

    `size` overrides what the attachment object reports (Discord's number is what bots must trust before they
    download; a test can make it disagree with the bytes)."""

    filename: str
    data: bytes
    content_type: str | None = None
    size: int | None = None


@dataclass(frozen=True, slots=True)
class StoredFile:
    attachment: JSON
    data: bytes
    signature: str


@dataclass(slots=True)
class Cdn:
    """Uploaded files by attachment id, and the CDN route that serves them."""

    ids: Snowflakes
    base: str = ""
    """`http://127.0.0.1:PORT`, set when the fake starts."""
    files: dict[int, StoredFile] = field(default_factory=dict)
    downloads: list[str] = field(default_factory=list)
    """The path of every CDN request, in order (served or not)."""

    def store(self, channel_id: int, upload: Upload, *, ephemeral: bool) -> JSON:
        attachment_id = self.ids.next()
        folder = "ephemeral-attachments" if ephemeral else "attachments"
        name = upload.filename.replace("/", "_") or "file"
        now = int(time.time())
        signature = secrets.token_hex(32)
        query = f"?ex={now + _EXPIRY_S:x}&is={now:x}&hm={signature}&"
        url = f"{self.base}/{folder}/{channel_id}/{attachment_id}/{quote(name)}{query}"
        content_type = upload.content_type or mimetypes.guess_type(name)[0]
        attachment: JSON = {
            "id": str(attachment_id),
            "filename": name,
            "size": len(upload.data) if upload.size is None else upload.size,
            "url": url,
            "proxy_url": url.replace(self.base, self.base + "/media", 1),
        }
        if content_type:
            attachment["content_type"] = content_type
        if ephemeral:
            attachment["ephemeral"] = True
        self.files[attachment_id] = StoredFile(attachment, upload.data, signature)
        return attachment

    def attachments_of(
        self, channel_id: int, body: JSON, parts: list[tuple[str, str, bytes]], *, ephemeral: bool, current: list[JSON]
    ) -> list[JSON] | None:
        """The attachments a message has after a create or edit `body` with uploaded `parts`; None: unchanged."""
        uploads = {int(m.group(1)): (filename, data) for name, filename, data in parts if (m := _FILE_PART.match(name))}
        listed = body.get("attachments")
        if not isinstance(listed, list):
            if not uploads:
                return None
            listed = [*current, *({"id": index} for index in sorted(uploads))]
        kept = {str(a["id"]): a for a in current}
        result: list[JSON] = []
        for entry in listed:
            if not isinstance(entry, dict) or "id" not in entry:
                continue
            ref = entry["id"]
            if str(ref) in kept:
                result.append(kept[str(ref)])
            elif isinstance(ref, int) and ref in uploads:
                filename, data = uploads[ref]
                upload = Upload(str(entry.get("filename") or filename), data)
                result.append(self.store(channel_id, upload, ephemeral=ephemeral))
        return result

    def routes(self) -> list[web.RouteDef]:
        path = "/{folder:(ephemeral-)?attachments}/{channel_id:\\d+}/{attachment_id:\\d+}/{filename}"
        return [web.get(path, self.serve), web.get("/media" + path, self.serve)]

    async def serve(self, request: web.Request) -> web.Response:
        self.downloads.append(request.path)
        stored = self.files.get(int(request.match_info["attachment_id"]))
        if stored is None or request.query.get("hm") != stored.signature:
            return web.Response(status=404, text="This content is no longer available.")
        content_type = str(stored.attachment.get("content_type") or "application/octet-stream")
        return web.Response(body=stored.data, headers={"Content-Type": content_type})
