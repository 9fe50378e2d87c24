"""ffprobe for direct media links, which carry no title or duration in yt-dlp's result (docs/media-facts.md §1)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Any, Final

import orjson

_log: Final = logging.getLogger(__name__)

PROBE_TIMEOUT_S: Final = 8.0
_ARGS: Final = (
    "-v",
    "error",
    "-protocol_whitelist",
    "http,https,tcp,tls",
    "-rw_timeout",
    "5000000",
    "-show_entries",
    "format=duration:format_tags=title,artist:stream_tags=title,artist",
    "-of",
    "json",
)


@dataclass(frozen=True, slots=True)
class ProbeResult:
    title: str | None = None
    artist: str | None = None
    seconds: float | None = None


def parse_probe(data: bytes) -> ProbeResult:
    """Tags from the format (mp3, m4a, webm) or the streams (Ogg keeps them per stream)."""
    try:
        info: Any = orjson.loads(data or b"{}")
    except orjson.JSONDecodeError:
        return ProbeResult()
    fmt = info.get("format") or {}
    tags = {k.lower(): v for k, v in (fmt.get("tags") or {}).items()}
    for stream in info.get("streams") or []:
        tags.update({k.lower(): v for k, v in (stream.get("tags") or {}).items()})
    try:
        seconds: float | None = float(fmt["duration"])
    except (KeyError, TypeError, ValueError):
        seconds = None
    return ProbeResult(title=tags.get("title"), artist=tags.get("artist"), seconds=seconds)


async def probe(url: str, *, binary: str = "ffprobe") -> ProbeResult:
    """Title, artist and duration of an http(s) media URL; empty when ffprobe fails or takes too long."""
    try:
        process = await asyncio.create_subprocess_exec(  # fixed argv, no shell; URL already guarded
            binary,
            *_ARGS,
            url,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
    except OSError as err:
        _log.warning("ffprobe could not start: %s", err)
        return ProbeResult()
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_S):
            out, _ = await process.communicate()
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        return ProbeResult()
    return parse_probe(out) if process.returncode == 0 else ProbeResult()
