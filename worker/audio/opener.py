"""Opens a track: chooses passthrough or transcode, starts its source, and returns it once frames are buffered.

A passthrough of an http(s) WebM or Ogg source is read in process (`InProcessSource`, no FFmpeg) when
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
from worker.audio.inprocess_source import Container, InProcessSource
from worker.audio.ogg import opus_packet_samples
from worker.audio.probe import ProbeResult, probe_audio

_log: Final = logging.getLogger(__name__)
OPUS_CONTAINERS: Final = frozenset({"webm", "weba", "opus", "ogg", "oga", "mka", "mkv"})
IN_PROCESS_CONTAINERS: Final[dict[str, Container]] = {"webm": "webm", "weba": "webm", "opus": "ogg", "ogg": "ogg"}
"""Extensions the in-process passthrough reads, and as what (an ogg is Opus here: the mode is passthrough)."""

type OpenedSource = FFmpegSource | InProcessSource

type Prober = Callable[[str, PipelineOptions, tuple[tuple[str, str], ...]], Awaitable[ProbeResult]]


class SourceOpener:
    """Builds the player's sources (`InProcessSource` or `FFmpegSource`); one per worker, configured once."""

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

    def in_process(self, request: TrackRequest) -> Container | None:
        """As what a passthrough of `request` is read in process (an http(s) WebM or Ogg stream), if enabled."""
        stream = request.stream
        if not self.options.inprocess_passthrough or urlsplit(stream.url).scheme.lower() not in NETWORK_SCHEMES:
            return None
        return IN_PROCESS_CONTAINERS.get((stream.ext or "").lower())

    async def _start_passthrough(self, request: TrackRequest) -> InProcessSource | None:
        """The in-process source, ready; None when FFmpeg's passthrough must play it."""
        container = self.in_process(request)
        if container is None:
            return None
        source: InProcessSource | None = None
        try:
            source = InProcessSource(request, self.options, container)
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
