"""The in-process passthrough: a WebM/Opus or Ogg/Opus source fetched with Range requests and demuxed in the loop.

For a track that needs no decoding (no filter, no equalizer, volume 100) FFmpeg only copies packets; this does the
same without a process: `HttpRangeReader` brings the bytes, `WebmOpusDemuxer` (or `OggOpusDemuxer`) cuts them into
packets, and the packets go into the same `FrameBuffer` as `FFmpegSource`'s (the same read-ahead bound, pause
and jittered resume).

Policy:
- A start position is reached through the Cues: the head is read (SeekHead, Tracks), the Cues are fetched where the
  SeekHead says (a Range request near the end, where FFmpeg puts them), the Cluster holding `start_ms` is fetched,
  and packets before `start_ms` are dropped, so the first frame is the one FFmpeg's stream copy starts with.
  No Cues, or an Ogg stream (no index: a seek would bisect over pages): `PassthroughUnavailableError` (the opener
  lets FFmpeg seek).
- A connection that drops (or stalls) mid-track is reopened at `resume_offset()`, up to `_RECONNECTS` times in a
  row with a doubling delay; the demuxer keeps its place, so nothing is lost or repeated. A connection dropped while
  reading is paused is reopened only when reading resumes.
- A malformed container fails the source with `SourceError` (the player ends the track as failed).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final, Literal, Protocol

from worker.audio.errors import OggError, PassthroughUnavailableError, SourceError, SourceTimeoutError, WebmError
from worker.audio.ffmpeg_args import PipelineOptions, PlaybackMode, TrackRequest, redact_url
from worker.audio.ffmpeg_source import SourceState
from worker.audio.frame_buffer import FrameBuffer
from worker.audio.frames import FRAME_MS
from worker.audio.http_range import HttpRangeReader, RangeLimits, RangeResponse
from worker.audio.ogg import OggOpusDemuxer
from worker.audio.webm import CUES, TimedPacket, WebmOpusDemuxer

_log: Final = logging.getLogger(__name__)
_RECONNECTS: Final = 3
_BACKOFF_S: Final = 0.25


type Container = Literal["webm", "ogg"]


class _PacketDemuxer(Protocol):
    def feed(self, data: bytes) -> list[TimedPacket]: ...

    def close(self) -> None: ...

    def resume_offset(self) -> int: ...


class _OggPackets:
    """`OggOpusDemuxer` with the WebM demuxer's packet type (an Ogg stream is only played from its start)."""

    def __init__(self) -> None:
        self._demux = OggOpusDemuxer()

    def feed(self, data: bytes) -> list[TimedPacket]:
        return [TimedPacket(0, packet) for packet in self._demux.feed(data)]

    def close(self) -> None:
        self._demux.close()

    def resume_offset(self) -> int:
        return self._demux.resume_offset()


class _Phase:
    HEAD = "head"
    CUES = "cues"
    PLAY = "play"


class InProcessSource:
    """A `FrameSource` over a WebM/Opus URL, read in process (see the module docstring)."""

    mode: Final = PlaybackMode.PASSTHROUGH
    rate_factor: Final = 1.0

    def __init__(self, request: TrackRequest, options: PipelineOptions, container: Container = "webm") -> None:
        self.track_id = request.track_id
        self.start_ms = request.start_ms
        self._label = redact_url(request.url)
        self._kind = "WebM/Opus" if container == "webm" else "Ogg/Opus"
        self._options = options
        timeout_s = options.io_timeout_s
        limits = RangeLimits(connect_timeout_s=timeout_s, head_timeout_s=timeout_s, idle_timeout_s=timeout_s)
        self.reader = HttpRangeReader(request.url, request.stream.headers, proxy=options.http_proxy, limits=limits)
        self._webm = WebmOpusDemuxer() if container == "webm" else None
        self._demux: _PacketDemuxer = self._webm or _OggPackets()
        self._buffer = FrameBuffer(options, pause=self._pause_reading, resume=self._resume_reading)
        self._phase = _Phase.HEAD
        self._response: RangeResponse | None = None
        self._probed = 0
        self._reconnects = 0
        self._dropped = False
        self._state = SourceState.STARTING
        self._error: SourceError | None = None
        self._phase_done = asyncio.Event()
        self._reconnect: asyncio.Task[None] | None = None

    # -- FrameSource ------------------------------------------------------------------------------------------------

    def read_frame(self) -> bytes | None:
        return self._buffer.read()

    @property
    def exhausted(self) -> bool:
        # The state first: the loop adds a source's last frames before it marks the end, so once the clock thread
        # sees the end, an empty buffer really is the end.
        return self._state in (SourceState.ENDED, SourceState.FAILED, SourceState.CLOSED) and not self._buffer

    @property
    def error(self) -> SourceError | None:
        return self._error

    @property
    def position_ms(self) -> int:
        return self.start_ms + self._buffer.played * FRAME_MS

    def skip_frames(self, count: int) -> None:
        self._buffer.skip(count)

    def peek_frame(self) -> bytes | None:
        return self._buffer.peek()

    @property
    def state(self) -> SourceState:
        return self._state

    @property
    def buffered_frames(self) -> int:
        return len(self._buffer)

    # -- lifecycle --------------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the stream at `start_ms`; `PassthroughUnavailableError` if only FFmpeg can, `SourceError` if none."""
        offset = 0
        if self.start_ms > 0:
            if self._webm is None:
                raise PassthroughUnavailableError(f"{self._label} is Ogg: FFmpeg seeks in it")
            offset = await self._find_cluster(self._webm)
            self._webm.restart_at(offset)
            # Sought: a reconnect needs no index, and 50 cue objects per stream are what a full collection walks most.
            self._webm.cues = []
        self._phase = _Phase.PLAY
        self._state = SourceState.STREAMING
        await self._connect(offset)

    async def wait_ready(self, timeout_s: float) -> None:
        """Like `FFmpegSource.wait_ready`: `ready_frames` buffered, or the stream ended or failed."""
        if not await self._buffer.wait_ready(timeout_s) and not self._buffer:
            self._fail(SourceTimeoutError(f"no audio from {self._label} within {timeout_s:g} s"))
        if self._error is not None and not self._buffer:
            raise self._error

    async def aclose(self) -> None:
        if self._state is not SourceState.FAILED and not self.exhausted:
            self._state = SourceState.CLOSED
        self._buffer.clear()
        self._drop_response()
        self._buffer.ready.set()
        self._phase_done.set()
        if self._reconnect is not None:
            self._reconnect.cancel()
            self._reconnect = None

    # -- seeking ----------------------------------------------------------------------------------------------------

    async def _find_cluster(self, demux: WebmOpusDemuxer) -> int:
        """The head, then the Cues, then the offset of the Cluster that holds `start_ms`."""
        await self._run_phase(_Phase.HEAD, 0)
        if not demux.cues:
            cues_at = demux.seek_heads.get(CUES)
            if cues_at is None:
                raise PassthroughUnavailableError(f"{self._label} has no cues to seek with")
            demux.restart_at(cues_at)
            await self._run_phase(_Phase.CUES, cues_at)
        cue = demux.cluster_for(self.start_ms) or (demux.cues[0] if demux.cues else None)
        if cue is None:
            raise PassthroughUnavailableError(f"{self._label} has no cues to seek with")
        return cue.cluster_offset

    async def _run_phase(self, phase: str, offset: int) -> None:
        self._phase = phase
        self._phase_done.clear()
        await self._connect(offset)
        try:
            async with asyncio.timeout(self._options.ready_timeout_s):
                await self._phase_done.wait()
        except TimeoutError:
            self._fail(SourceTimeoutError(f"the {phase} of {self._label} did not come within the timeout"))
        self._drop_response()
        if self._error is not None:
            raise self._error

    def _phase_complete(self) -> bool:
        demux = self._webm
        if demux is None:
            return True
        if self._phase == _Phase.CUES:
            return bool(demux.cues)
        return demux.ready and (bool(demux.cues) or CUES in demux.seek_heads or self._probed > 0)

    # -- reading ----------------------------------------------------------------------------------------------------

    async def _connect(self, offset: int) -> None:
        response = await self.reader.open(offset)
        if self._state is SourceState.CLOSED:
            response.close()
            return
        self._response = response
        response.attach(self)
        if self._buffer.paused:
            response.pause()

    def body_received(self, data: bytes) -> None:
        try:
            packets = self._demux.feed(data)
        except (WebmError, OggError) as exc:
            self._fail(SourceError(f"{self._label} is not a playable {self._kind} stream: {exc}"))
            return
        if self._phase != _Phase.PLAY:
            self._probed += len(packets)
            if self._phase_complete():
                self._phase_done.set()
                self._drop_response()
            return
        self._take(packets)

    def body_ended(self, error: SourceError | None) -> None:
        self._response = None
        if self._phase != _Phase.PLAY:
            if not self._phase_done.is_set():
                self._fail(error or SourceError(f"{self._label} ends before its {self._phase} was read"))
            return
        if error is None and self._state is SourceState.STREAMING:
            self._finish()
        elif error is not None and self._state is SourceState.STREAMING:
            self._dropped = True
            if not self._buffer.paused:
                self._schedule_reconnect(error)

    def _take(self, packets: list[TimedPacket]) -> None:
        if packets:
            self._reconnects = 0
        if self.start_ms and self._buffer.received == 0:
            packets = [packet for packet in packets if packet.at_ms >= self.start_ms]
        self._buffer.add([packet.data for packet in packets])

    def _finish(self) -> None:
        try:
            self._demux.close()
        except (WebmError, OggError) as exc:
            self._fail(SourceError(f"{self._label} is not a complete {self._kind} stream: {exc}"))
            return
        if not self._buffer.received and self.start_ms == 0:
            self._fail(SourceError(f"no audio in {self._label}"))
            return
        self._state = SourceState.ENDED
        self._buffer.ready.set()

    def _pause_reading(self) -> None:
        if self._response is not None:
            self._response.pause()

    def _resume_reading(self) -> None:
        if self._response is not None:
            self._response.resume()
        elif self._dropped and self._state is SourceState.STREAMING:
            self._schedule_reconnect(None)

    def _schedule_reconnect(self, error: SourceError | None) -> None:
        if self._reconnect is not None and not self._reconnect.done():
            return
        if self._reconnects >= _RECONNECTS:
            self._fail(error or SourceError(f"{self._label} broke off"))
            return
        delay_s = _BACKOFF_S * 2**self._reconnects
        self._reconnects += 1
        _log.info("%s dropped (%s): reconnecting in %.2f s", self._label, error, delay_s)
        self._reconnect = asyncio.get_running_loop().create_task(self._reopen(delay_s), name=f"webm-{self.track_id}")

    async def _reopen(self, delay_s: float) -> None:
        await asyncio.sleep(delay_s)
        self._dropped = False
        try:
            await self._connect(self._demux.resume_offset())
        except SourceError as exc:
            self._dropped = True
            self._schedule_retry(exc)

    def _schedule_retry(self, error: SourceError) -> None:
        self._reconnect = None
        self._schedule_reconnect(error)

    def _drop_response(self) -> None:
        if self._response is not None:
            self._response.close()
            self._response = None

    def _fail(self, error: SourceError) -> None:
        if self._error is None:
            self._error = error
            _log.info("%s", error)
        self._state = SourceState.FAILED
        self._drop_response()
        self._buffer.ready.set()
        self._phase_done.set()
