"""ffprobe of a stream's first audio track, to learn whether its Opus packets can be passed through.

It opens the URL with FFmpeg's input options (`ffprobe_argv` → `input_args`): no redirect is followed, the URL is
the one the resolver already followed through the URL guard, and with a proxy every open goes through it.
"""

from __future__ import annotations

import asyncio
import subprocess
from dataclasses import dataclass
from typing import Final

import orjson

from worker.audio.errors import SourceError, SourceTimeoutError
from worker.audio.ffmpeg_args import PipelineOptions, ffprobe_argv, redact_url, scrub, subprocess_env

_KILL_WAIT_S: Final = 2.0


@dataclass(frozen=True, slots=True)
class ProbeResult:
    codec: str | None
    channels: int | None
    format_name: str | None


async def probe_audio(url: str, options: PipelineOptions, headers: tuple[tuple[str, str], ...] = ()) -> ProbeResult:
    """Codec and channel count of the first audio stream; `SourceError` if ffprobe fails, times out or finds none."""
    argv = ffprobe_argv(url, options, headers)
    label = redact_url(url)
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=subprocess_env(options)
        )
    except OSError as exc:
        raise SourceError(f"cannot run {argv[0]}: {exc}") from exc
    try:
        async with asyncio.timeout(options.probe_timeout_s):
            out, err = await proc.communicate()
    except TimeoutError:
        raise SourceTimeoutError(f"ffprobe timed out after {options.probe_timeout_s:g} s on {label}") from None
    finally:
        if proc.returncode is None:
            proc.kill()
            async with asyncio.timeout(_KILL_WAIT_S):
                await proc.wait()
    if proc.returncode != 0:
        detail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no error output"]
        raise SourceError(f"ffprobe failed for {label} (exit {proc.returncode}): {scrub(detail[0], url)[-300:]}")
    return _parse(out, label)


def _parse(out: bytes, label: str) -> ProbeResult:
    try:
        data = orjson.loads(out)
    except orjson.JSONDecodeError as exc:
        raise SourceError(f"ffprobe printed something unreadable for {label}") from exc
    streams = data.get("streams") or []
    if not streams:
        raise SourceError(f"no audio stream in {label}")
    stream = streams[0]
    fmt = data.get("format") or {}
    channels = stream.get("channels")
    return ProbeResult(
        codec=stream.get("codec_name"),
        channels=channels if isinstance(channels, int) else None,
        format_name=fmt.get("format_name"),
    )
