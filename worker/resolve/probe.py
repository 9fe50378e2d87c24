"""ffprobe for direct media links, which carry no title or duration in yt-dlp's result (docs/media-facts.md §1).

Redirect policy (docs/design.md, "URL guard"): ffprobe follows no redirect (`-max_redirects 0`, the input options
FFmpeg uses for playback, from worker/audio/ffmpeg_args.py). `DirectProbe` first follows the link's redirects
through yt-dlp's guarded HTTP stack, every hop checked by the URL guard, then runs ffprobe on the final URL with the
headers that stack sent, so the server sees one client. A server that still answers ffprobe with a redirect (it
redirects by user agent, or only the Nth request) only makes ffprobe fail; the link is then followed once more
through the guarded stack, and a hop the guard refuses refuses the link. Anything else that keeps ffprobe from
reading the file leaves the track without its tags, as before. In the worker, ffprobe opens everything through the
guarded proxy (worker/resolve/proxy.py), so a link that serves a playlist cannot make it open unchecked segments.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import orjson
from yt_dlp.utils import YoutubeDLError

from shared.failures import Problem, ProblemKind
from worker.audio.errors import SourceError
from worker.audio.ffmpeg_args import PipelineOptions, input_args, subprocess_env
from worker.resolve.failures import classify
from worker.resolve.ytdlp import YtDlp

_log: Final = logging.getLogger(__name__)

PROBE_TIMEOUT_S: Final = 8.0
PROBE_IO_TIMEOUT_S: Final = 5.0
_OUTPUT_ARGS: Final = (
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
    read: bool = False
    """ffprobe read the file (it exited 0)."""
    refused: Problem | None = None
    """The URL guard refused a hop of the link (why); the link must not be queued."""


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


def probe_options(binary: str = "ffprobe", http_proxy: str | None = None) -> PipelineOptions:
    return PipelineOptions(ffprobe=binary, io_timeout_s=PROBE_IO_TIMEOUT_S, http_proxy=http_proxy)


def probe_argv(url: str, headers: Sequence[tuple[str, str]] = (), *, options: PipelineOptions) -> list[str]:
    """The ffprobe command: FFmpeg's network input options (no redirects, http(s) only) and a JSON report."""
    return [options.ffprobe, "-v", "error", *input_args(url, options, tuple(headers)), *_OUTPUT_ARGS]


async def probe(
    url: str, headers: Sequence[tuple[str, str]] = (), *, binary: str = "ffprobe", http_proxy: str | None = None
) -> ProbeResult:
    """Title, artist and duration of an http(s) media URL; empty when ffprobe fails or takes too long.

    With `http_proxy` (the worker's guarded proxy) every open ffprobe makes, nested ones included, is checked there.
    """
    options = probe_options(binary, http_proxy)
    try:
        argv = probe_argv(url, headers, options=options)
        process = await asyncio.create_subprocess_exec(  # fixed argv, no shell; URL already guarded
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
            env=subprocess_env(options),
        )
    except (OSError, SourceError) as err:
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
    return dataclasses.replace(parse_probe(out), read=True) if process.returncode == 0 else ProbeResult()


class DirectProbe:
    """Probes a direct link after its redirects were followed, and checked, by the guarded HTTP stack."""

    def __init__(self, ytdlp: YtDlp, *, binary: str = "ffprobe", http_proxy: str | None = None) -> None:
        self._ytdlp = ytdlp
        self._binary = binary
        self._proxy = http_proxy

    async def __call__(self, url: str) -> ProbeResult:
        final, refused = await self._follow(url)
        if refused is not None:
            return ProbeResult(refused=refused)
        headers = tuple(self._ytdlp.request_headers.items())
        probed = await probe(final, headers, binary=self._binary, http_proxy=self._proxy)
        if probed.read:
            return probed
        _, refused = await self._follow(final)
        return ProbeResult(refused=refused)

    async def _follow(self, url: str) -> tuple[str, Problem | None]:
        """Where `url` leads through the guarded stack, and the guard's refusal if it refused a hop on the way."""
        try:
            return await self._ytdlp.final_url(url, {}), None
        except (YoutubeDLError, TimeoutError) as err:
            problem, _ = classify(err)
            return url, problem if problem.kind is ProblemKind.REFUSED else None
