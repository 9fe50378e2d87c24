"""Pipeline options and the exact FFmpeg/ffprobe command lines (no shell; inputs are whitelisted and time-limited).

`input_args` is the one place where FFmpeg-family processes get the options that open URLs, for playback, the Opus
probe and the resolver's tag probe alike: http(s) only, and no redirect followed (`-max_redirects 0`). The guarded
HTTP stack (worker/resolve/ytdlp.py) follows redirects and checks every hop with the URL guard before FFmpeg sees
the URL; a redirect FFmpeg meets itself would be unchecked, so it fails instead. Not covered: FFmpeg's HLS demuxer
opens segment URLs without these options (docs/design.md, "URL guard").
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final, Literal
from urllib.parse import urlsplit, urlunsplit
from urllib.request import url2pathname

from shared.models import FilterChain
from worker.audio.errors import SourceError
from worker.audio.filters import SAMPLE_RATE
from worker.audio.frames import FRAME_MS
from worker.audio.volume import UNITY_VOLUME

NETWORK_PROTOCOLS: Final = "http,https,tcp,tls,crypto"
NETWORK_SCHEMES: Final = frozenset({"http", "https"})


class PlaybackMode(StrEnum):
    """How FFmpeg produces the Opus stream."""

    PASSTHROUGH = "passthrough"
    """The source's Opus packets are copied (`-c:a copy`): about 50× cheaper; never combined with `-af`."""
    TRANSCODE = "transcode"
    """Decoded, filtered and re-encoded with FFmpeg's libopus."""


@dataclass(frozen=True, slots=True)
class EncoderSettings:
    """libopus settings for the transcode path (FEC off by default: it costs about 3× the CPU)."""

    bitrate_kbps: int = 128
    complexity: int = 10
    vbr: Literal["on", "off", "constrained"] = "on"
    fec: bool = False
    packet_loss_percent: int = 0


@dataclass(frozen=True, slots=True)
class PipelineOptions:
    """Everything a worker configures about its FFmpeg pipelines (built once at start-up, injected)."""

    ffmpeg: str = "ffmpeg"
    ffprobe: str = "ffprobe"
    allow_file: bool = False
    """Let FFmpeg read local files (`file:` protocol): tests and admin tooling only."""
    io_timeout_s: float = 15.0
    """FFmpeg gives up on an input read or connect that stalls this long."""
    probe_timeout_s: float = 15.0
    ready_timeout_s: float = 15.0
    """How long `open` waits for the first buffered frames."""
    close_timeout_s: float = 2.0
    encoder: EncoderSettings = field(default_factory=EncoderSettings)
    page_duration_ms: int = 200
    """Ogg page length FFmpeg writes; short pages let the first frames arrive sooner."""
    readahead_frames: int = 150
    """Read-ahead bound per track (150 = 3 s); FFmpeg blocks on its pipe when the buffer is full."""
    resume_frames: int = 125
    """Reading resumes below this many frames; each source adds a random 0..`refill_jitter_frames`."""
    refill_jitter_frames: int = 20
    """Spreads refills of streams that started together over different ticks, so FFmpegs do not wake in lockstep."""
    pipe_buffer_bytes: int = 8192
    """Kernel pipe size for FFmpeg's output (default 64 KiB ≈ 4 s): small, so each refill is a short burst."""
    ready_frames: int = 10
    """Frames a prepared track holds before `open` returns (10 = 200 ms)."""
    niceness: int = 10
    """Added to each FFmpeg's nice value: FFmpeg has seconds of buffer, the pacer has none, so the pacer must win the
    CPU when a core is busy (bench: 0 late ticks at nice 10 where nice 0 had stalls of 100+ ms)."""


@dataclass(frozen=True, slots=True)
class TrackRequest:
    """What the player wants played: a resolved stream URL plus where and how."""

    url: str
    track_id: str
    start_ms: int = 0
    filters: FilterChain = field(default_factory=FilterChain)
    volume: int = UNITY_VOLUME
    codec_hint: str | None = None
    """yt-dlp's `acodec` if known (e.g. "opus"); empty or None when unknown."""
    ext_hint: str | None = None
    """yt-dlp's `ext` (e.g. "webm"); used to decide whether probing for Opus is worthwhile."""
    headers: tuple[tuple[str, str], ...] = ()
    """HTTP headers yt-dlp says the stream URL needs."""


def input_args(url: str, options: PipelineOptions, headers: tuple[tuple[str, str], ...] = ()) -> list[str]:
    """The input-side arguments shared by ffmpeg and ffprobe, ending with `-i <target>`."""
    target, network = _input_target(url, options)
    args: list[str] = []
    if network:
        # Redirects were followed (and each hop checked by the URL guard) when the stream was resolved: FFmpeg
        # must not follow any on its own, or a redirect could point it at a private address.
        args += ["-max_redirects", "0"]
        args += ["-reconnect", "1", "-reconnect_streamed", "1", "-reconnect_delay_max", "5"]
        if headers:
            args += ["-headers", _header_block(headers)]
    protocols = NETWORK_PROTOCOLS + (",file" if options.allow_file else "")
    args += ["-protocol_whitelist", protocols, "-rw_timeout", str(round(options.io_timeout_s * 1_000_000))]
    return [*args, "-i", target]


def ffmpeg_argv(request: TrackRequest, mode: PlaybackMode, graph: str | None, options: PipelineOptions) -> list[str]:
    """The full FFmpeg command: input at `start_ms` → Ogg/Opus on stdout."""
    if mode is PlaybackMode.PASSTHROUGH and graph is not None:
        raise ValueError("passthrough cannot be combined with a filter graph")
    # One thread each: thousands of streams share the worker's cores; FFmpeg's default is a filter thread per core.
    argv = [options.ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-filter_threads", "1", "-threads", "1"]
    if request.start_ms > 0:
        argv += ["-ss", f"{request.start_ms / 1000:.3f}"]
    argv += input_args(request.url, options, request.headers)
    argv += ["-map", "0:a:0", "-map_metadata", "-1", "-map_chapters", "-1"]
    if mode is PlaybackMode.PASSTHROUGH:
        if request.start_ms > 0:
            # A stream copy keeps what lies between the container's seek point (a WebM cluster, often seconds
            # earlier) and the target, with negative timestamps; an output seek to 0 drops exactly those packets.
            argv += ["-ss", "0"]
        argv += ["-c:a", "copy"]
    else:
        if graph is not None:
            argv += ["-af", graph]
        argv += _encoder_args(options.encoder)
    page_us = str(options.page_duration_ms * 1000)
    return [*argv, "-f", "opus", "-page_duration", page_us, "pipe:1"]


def ffprobe_argv(url: str, options: PipelineOptions, headers: tuple[tuple[str, str], ...] = ()) -> list[str]:
    """ffprobe printing the first audio stream's codec and channel count as JSON."""
    return [
        options.ffprobe,
        "-v",
        "error",
        *input_args(url, options, headers),
        "-select_streams",
        "a:0",
        "-show_entries",
        "stream=codec_name,channels:format=format_name",
        "-of",
        "json",
    ]


def redact_url(url: str) -> str:
    """The URL without query and fragment (signed stream URLs carry tokens), for logs and error messages."""
    parts = urlsplit(url)
    if parts.scheme.lower() in NETWORK_SCHEMES:
        return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))
    return url


def scrub(text: str, url: str) -> str:
    """`text` (FFmpeg's stderr) with every occurrence of `url` redacted."""
    return text.replace(url, redact_url(url)) if url else text


def _encoder_args(encoder: EncoderSettings) -> list[str]:
    args = ["-c:a", "libopus", "-ar", str(SAMPLE_RATE), "-ac", "2", "-b:a", f"{encoder.bitrate_kbps}k"]
    args += ["-vbr", encoder.vbr, "-compression_level", str(encoder.complexity)]
    args += ["-frame_duration", str(FRAME_MS), "-application", "audio"]
    if encoder.fec:
        args += ["-fec", "1", "-packet_loss", str(encoder.packet_loss_percent)]
    return args


def _input_target(url: str, options: PipelineOptions) -> tuple[str, bool]:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in NETWORK_SCHEMES:
        if not parts.hostname:
            raise SourceError(f"stream URL has no host: {redact_url(url)}")
        return url, True
    if scheme not in ("", "file"):
        raise SourceError(f"unsupported stream URL scheme {scheme!r}")
    if not options.allow_file:
        raise SourceError("local files are not allowed as stream sources")
    path = url2pathname(parts.path) if scheme == "file" else url
    # An explicit `file:` prefix stops FFmpeg from reading "a:b" paths as protocol "a".
    return "file:" + os.path.abspath(path), False


def _header_block(headers: tuple[tuple[str, str], ...]) -> str:
    lines = []
    for name, value in headers:
        if any(c in name + value for c in "\r\n") or ":" in name:
            raise SourceError(f"invalid HTTP header {name!r}")
        lines.append(f"{name}: {value}\r\n")
    return "".join(lines)
