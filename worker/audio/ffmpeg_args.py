"""Pipeline options and the exact FFmpeg/ffprobe command lines (no shell; inputs are whitelisted and time-limited).

`input_args` is the one place where FFmpeg-family processes get the options that open URLs, for playback, the Opus
probe and the resolver's tag probe alike: http(s) only, and no redirect followed (`-max_redirects 0`). The guarded
HTTP stack (worker/resolve/ytdlp.py) follows redirects and checks every hop with the URL guard before FFmpeg sees
the URL; a redirect FFmpeg meets itself would be unchecked, so it fails instead.

With `PipelineOptions.http_proxy` (the worker's guarded proxy, worker/resolve/proxy.py) every open FFmpeg makes,
the nested ones of HLS and DASH manifests included, goes through the proxy, which checks each one. FFmpeg then
speaks plain http only (protocols http, tcp, crypto): an https URL is handed over in its proxy form (`proxy_form`),
and the proxy speaks TLS to the server. FFmpeg's own https through a proxy would need its `httpproxy` protocol on the
whitelist, and a playlist can name `httpproxy://10.0.0.8:80/x.ts` to make FFmpeg connect anywhere; without it, an
absolute https URL inside a manifest fails closed unless the proxy rewrote it (it rewrites Location headers and
HLS playlists). See docs/design.md, "URL guard".
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final, Literal
from urllib.parse import urlsplit, urlunsplit
from urllib.request import url2pathname

from shared.models import Equalizer, FilterChain
from worker.audio.errors import SourceError
from worker.audio.filters import SAMPLE_RATE
from worker.audio.frames import FRAME_MS
from worker.audio.stream import PlayableStream
from worker.audio.volume import UNITY_VOLUME

NETWORK_PROTOCOLS: Final = "http,https,tcp,tls,crypto"
PROXIED_PROTOCOLS: Final = "http,tcp,crypto"
"""With the guarded proxy: FFmpeg's only peer is the proxy, over plain http."""
PROXY_TLS_SUFFIX: Final = ".https.encore-proxy"
"""Appended to an https URL's host in its proxy form; the proxy strips it and speaks TLS to the real host."""
_PROXY_ENV: Final = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "no_proxy", "NO_PROXY", "all_proxy")
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
    readahead_frames: int = 250
    """Read-ahead bound per track (250 = 5 s); FFmpeg blocks on its pipe when the buffer is full."""
    resume_frames: int = 200
    """Reading resumes below this many frames; each source adds a random 0..`refill_jitter_frames`."""
    refill_jitter_frames: int = 75
    """Spreads refills of streams that started together (a mass start or takeover) over 1.5 s, so FFmpegs do not
    wake in lockstep and the loop is not asked for every stream's refill at once: with 1,200 streams started
    together and 20 frames of spread, the last refills came 2 s after the first and some streams ran dry."""
    pipe_buffer_bytes: int = 8192
    """Kernel pipe size for FFmpeg's output (default 64 KiB ≈ 4 s): small, so each refill is a short burst."""
    ready_frames: int = 10
    """Frames a prepared track holds before `open` returns (10 = 200 ms)."""
    http_proxy: str | None = None
    """The worker's guarded proxy (`http://127.0.0.1:PORT`) that every network open goes through; None: direct."""
    inprocess_passthrough: bool = True
    """Passthrough of an http(s) WebM or Ogg Opus stream is read in the worker (worker/audio/inprocess_source.py),
    without FFmpeg."""
    niceness: int = 10
    """Added to each FFmpeg's nice value: FFmpeg has seconds of buffer, the pacer has none, so the pacer must win the
    CPU when a core is busy (bench: 0 late ticks at nice 10 where nice 0 had stalls of 100+ ms)."""


@dataclass(frozen=True, slots=True)
class TrackRequest:
    """What the player wants played: a resolved stream plus where and how (the stream itself is not copied)."""

    stream: PlayableStream
    track_id: str
    start_ms: int = 0
    filters: FilterChain = field(default_factory=FilterChain)
    equalizer: Equalizer = field(default_factory=Equalizer)
    volume: int = UNITY_VOLUME

    @property
    def url(self) -> str:
        return self.stream.url


def input_args(url: str, options: PipelineOptions, headers: tuple[tuple[str, str], ...] = ()) -> list[str]:
    """The input-side arguments shared by ffmpeg and ffprobe, ending with `-i <target>`."""
    target, network = _input_target(url, options)
    args: list[str] = []
    protocols = NETWORK_PROTOCOLS
    if network and options.http_proxy is not None:
        target = proxy_form(target)
        protocols = PROXIED_PROTOCOLS
        args += ["-http_proxy", options.http_proxy]
    if network:
        # Redirects were followed (and each hop checked by the URL guard) when the stream was resolved: FFmpeg
        # must not follow any on its own, or a redirect could point it at a private address.
        args += ["-max_redirects", "0"]
        args += ["-reconnect", "1", "-reconnect_streamed", "1", "-reconnect_delay_max", "5"]
        if headers:
            args += ["-headers", _header_block(headers)]
    protocols += ",file" if options.allow_file else ""
    args += ["-protocol_whitelist", protocols, "-rw_timeout", str(round(options.io_timeout_s * 1_000_000))]
    return [*args, "-i", target]


def proxy_form(url: str) -> str:
    """What FFmpeg opens for `url` through the proxy: http URLs as they are, https ones as plain http to the host
    with `PROXY_TLS_SUFFIX` (same port, path and query; the fragment is dropped)."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "https":
        return url
    host = parts.hostname or ""
    if not host or ":" in host:
        raise SourceError(f"https to an IPv6 address cannot go through the proxy: {redact_url(url)}")
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(("http", f"{host}{PROXY_TLS_SUFFIX}{port}", parts.path or "/", parts.query, ""))


def subprocess_env(options: PipelineOptions) -> dict[str, str] | None:
    """The environment for FFmpeg and ffprobe: with a proxy, `http_proxy` names it (FFmpeg's http code falls back to
    the variable for any open that did not get the option) and no `no_proxy` exempts a host from it."""
    if options.http_proxy is None:
        return None
    env = {key: value for key, value in os.environ.items() if key not in _PROXY_ENV}
    env["http_proxy"] = options.http_proxy
    return env


def ffmpeg_argv(request: TrackRequest, mode: PlaybackMode, graph: str | None, options: PipelineOptions) -> list[str]:
    """The full FFmpeg command: input at `start_ms` → Ogg/Opus on stdout."""
    if mode is PlaybackMode.PASSTHROUGH and graph is not None:
        raise ValueError("passthrough cannot be combined with a filter graph")
    # One thread each: thousands of streams share the worker's cores; FFmpeg's default is a filter thread per core.
    argv = [options.ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-filter_threads", "1", "-threads", "1"]
    if request.start_ms > 0:
        argv += ["-ss", f"{request.start_ms / 1000:.3f}"]
    argv += input_args(request.url, options, request.stream.headers)
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
