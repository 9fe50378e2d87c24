"""Opens a track: chooses passthrough or transcode, starts its source, and returns it once frames are buffered.

A passthrough of an http(s) WebM source is read in process (`WebmSource`, no FFmpeg) when
`PipelineOptions.inprocess_passthrough` is on; when that source cannot serve the track for a reason FFmpeg can
overcome (`PassthroughUnavailableError`: no cues to seek with, no proxy for a remote host, a chunked answer), FFmpeg's
passthrough plays it instead. Everything that needs decoding runs in FFmpeg.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Final
from urllib.parse import urlsplit

from worker.audio.errors import PassthroughUnavailableError
from worker.audio.ffmpeg_args import NETWORK_SCHEMES, PipelineOptions, PlaybackMode, TrackRequest, ffmpeg_argv
from worker.audio.ffmpeg_source import FFmpegSource
from worker.audio.filters import build_filter_graph
from worker.audio.frames import FRAME_SAMPLES
from worker.audio.ogg import opus_packet_samples
from worker.audio.probe import ProbeResult, probe_audio
from worker.audio.webm_source import WebmSource

_log: Final = logging.getLogger(__name__)
OPUS_CONTAINERS: Final = frozenset({"webm", "weba", "opus", "ogg", "oga", "mka", "mkv"})
WEBM_CONTAINERS: Final = frozenset({"webm", "weba"})
"""Containers the in-process passthrough reads."""

type OpenedSource = FFmpegSource | WebmSource

type Prober = Callable[[str, PipelineOptions, tuple[tuple[str, str], ...]], Awaitable[ProbeResult]]


class SourceOpener:
    """Builds the player's sources (`WebmSource` or `FFmpegSource`); one per worker, configured once."""

    def __init__(self, options: PipelineOptions, *, prober: Prober = probe_audio) -> None:
        self.options = options
        self._probe = prober

    async def choose_mode(self, request: TrackRequest) -> PlaybackMode:
        """Passthrough iff no filter, equalizer or volume stage applies and the source is (at most stereo) Opus.

        A stream the resolver knows to be Opus (yt-dlp's `acodec`) plays through; otherwise extensions that never
        hold Opus skip the probe, and Opus-capable containers (webm and ogg may also hold Vorbis) are probed.
        """
        if build_filter_graph(request.filters, request.volume, request.equalizer) is not None:
            return PlaybackMode.TRANSCODE
        stream = request.stream
        if stream.is_opus:
            return PlaybackMode.PASSTHROUGH
        ext = (stream.ext or "").lower()
        if ext and ext not in OPUS_CONTAINERS:
            return PlaybackMode.TRANSCODE
        probed = await self._probe(stream.url, self.options, stream.headers)
        if probed.codec == "opus" and (probed.channels or 2) <= 2:
            return PlaybackMode.PASSTHROUGH
        return PlaybackMode.TRANSCODE

    async def open(self, request: TrackRequest, mode: PlaybackMode | None = None) -> OpenedSource:
        """Start the track's pipeline and wait for its first frames; `SourceError` if it cannot play.

        The caller owns the result and must `aclose()` it (handing it to a `GuildStream` does that).
        """
        if mode is None:
            mode = await self.choose_mode(request)
        source: OpenedSource | None = None
        if mode is PlaybackMode.PASSTHROUGH:
            source = await self._start_passthrough(request)
        if source is None:
            source = await self._start(request, mode)
        first = source.peek_frame()
        if mode is PlaybackMode.PASSTHROUGH and first is not None and opus_packet_samples(first) != FRAME_SAMPLES:
            # Discord wants 20 ms packets; a source encoded with other frame sizes is re-encoded instead.
            _log.info("%s has %d-sample Opus frames: transcoding", source.track_id, opus_packet_samples(first))
            await source.aclose()
            source = await self._start(request, PlaybackMode.TRANSCODE)
        return source

    def in_process(self, request: TrackRequest) -> bool:
        """Whether a passthrough of `request` is read in process: an http(s) WebM stream, when enabled."""
        stream = request.stream
        scheme = urlsplit(stream.url).scheme.lower()
        return self.options.inprocess_passthrough and scheme in NETWORK_SCHEMES and stream.ext in WEBM_CONTAINERS

    async def _start_passthrough(self, request: TrackRequest) -> WebmSource | None:
        """The in-process source, ready; None when FFmpeg's passthrough must play it."""
        if not self.in_process(request):
            return None
        source: WebmSource | None = None
        try:
            source = WebmSource(request, self.options)
            await source.start()
            await source.wait_ready(self.options.ready_timeout_s)
        except PassthroughUnavailableError as why:
            _log.info("%s: FFmpeg plays it (%s)", request.track_id, why)
            if source is not None:
                await source.aclose()
            return None
        except BaseException:
            if source is not None:
                await source.aclose()
            raise
        return source

    async def _start(self, request: TrackRequest, mode: PlaybackMode) -> FFmpegSource:
        transcode = mode is PlaybackMode.TRANSCODE
        graph = build_filter_graph(request.filters, request.volume, request.equalizer) if transcode else None
        argv = ffmpeg_argv(request, mode, graph, self.options)
        source = FFmpegSource(argv, request=request, mode=mode, options=self.options)
        try:
            await source.start()
            await source.wait_ready(self.options.ready_timeout_s)
        except BaseException:
            await source.aclose()
            raise
        return source
