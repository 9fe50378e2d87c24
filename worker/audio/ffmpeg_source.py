"""One FFmpeg process per playing track, read as a bounded buffer of 20 ms Opus packets."""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import subprocess
from collections.abc import Sequence
from enum import StrEnum
from typing import Final, override

from worker.audio.errors import OggError, SourceError, SourceTimeoutError
from worker.audio.ffmpeg_args import PipelineOptions, PlaybackMode, TrackRequest, redact_url, scrub, subprocess_env
from worker.audio.frame_buffer import FrameBuffer
from worker.audio.frames import FRAME_MS
from worker.audio.ogg import OggOpusDemuxer

_log: Final = logging.getLogger(__name__)
_STDERR_TAIL: Final = 4096
_STDOUT: Final = 1
_STDERR: Final = 2


class SourceState(StrEnum):
    """Lifecycle of a source; frames may still be buffered in ENDED and FAILED."""

    STARTING = "starting"
    STREAMING = "streaming"
    ENDED = "ended"
    FAILED = "failed"
    CLOSED = "closed"


class FFmpegSource:
    """A track's audio: FFmpeg writes Ogg/Opus to a pipe, this parses it into packets as they arrive.

    Implements `worker.audio.frames.FrameSource`. Reading is callback driven (no task per track): pipe data is
    demuxed inside the event loop's read callback into a `FrameBuffer`, which pauses the pipe at its read-ahead
    bound, so FFmpeg blocks and the read-ahead stays bounded.
    """

    def __init__(
        self, argv: Sequence[str], *, request: TrackRequest, mode: PlaybackMode, options: PipelineOptions
    ) -> None:
        self.track_id = request.track_id
        self.mode = mode
        self.argv = tuple(argv)
        self.start_ms = request.start_ms
        # Passthrough never filters, so its output advances exactly as fast as the source.
        self.rate_factor = request.filters.rate_factor if mode is PlaybackMode.TRANSCODE else 1.0
        self._url = request.url
        self._label = redact_url(request.url)
        self._options = options
        self._buffer = FrameBuffer(options, pause=self._pause_reading, resume=self._resume_reading)
        self._demux = OggOpusDemuxer()
        self._stderr = bytearray()
        self._state = SourceState.STARTING
        self._error: SourceError | None = None
        self._transport: asyncio.SubprocessTransport | None = None
        self._exited = asyncio.Event()
        self._finished = asyncio.Event()

    # -- FrameSource ------------------------------------------------------------------------------------------------

    def read_frame(self) -> bytes | None:
        """The next 20 ms Opus packet, or None if none is buffered right now (underrun or end; see `exhausted`)."""
        return self._buffer.read()

    @property
    def exhausted(self) -> bool:
        """True when no frame is buffered and none will come (FFmpeg finished, failed or was closed)."""
        # The state first: the loop adds a source's last frames before it marks the end, so once the clock thread
        # sees the end, an empty buffer really is the end.
        return self._state in (SourceState.ENDED, SourceState.FAILED, SourceState.CLOSED) and not self._buffer

    @property
    def error(self) -> SourceError | None:
        return self._error

    @property
    def position_ms(self) -> int:
        """Position in source time: frames consumed × 20 ms × the filter chain's rate factor, plus the start."""
        return self.start_ms + round(self._buffer.played * FRAME_MS * self.rate_factor)

    def skip_frames(self, count: int) -> None:
        """Drop the next `count` frames (buffered ones now, the rest as they arrive); they count as played."""
        self._buffer.skip(count)

    def peek_frame(self) -> bytes | None:
        return self._buffer.peek()

    @property
    def state(self) -> SourceState:
        return self._state

    @property
    def buffered_frames(self) -> int:
        return len(self._buffer)

    @property
    def pid(self) -> int | None:
        return self._transport.get_pid() if self._transport is not None else None

    # -- lifecycle --------------------------------------------------------------------------------------------------

    async def start(self) -> None:
        """Spawn FFmpeg; raise `SourceError` if it cannot be executed."""
        loop = asyncio.get_running_loop()
        try:
            transport, _ = await loop.subprocess_exec(
                lambda: _FFmpegProtocol(self),
                *self.argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=subprocess_env(self._options),
            )
        except OSError as exc:
            error = SourceError(f"cannot run {self.argv[0]}: {exc}")
            self._fail(error)
            self._finished.set()
            raise error from exc
        self._transport = transport
        if self._options.niceness:
            _renice(transport.get_pid(), self._options.niceness)
        _shrink_pipe(transport.get_pipe_transport(_STDOUT), self._options.pipe_buffer_bytes)

    async def wait_ready(self, timeout_s: float) -> None:
        """Wait until `ready_frames` are buffered or the stream ended; raise `SourceError` if it failed or timed out.

        A slow source that buffered some frames before the timeout is returned as is (the pacer counts its deficits).
        """
        if not await self._buffer.wait_ready(timeout_s) and not self._buffer:
            self._fail(SourceTimeoutError(f"no audio from {self._label} within {timeout_s:g} s"))
        if self._error is not None and not self._buffer:
            raise self._error

    async def wait_finished(self) -> None:
        """Wait until FFmpeg has exited and its output is fully read (or the source was closed)."""
        await self._finished.wait()

    async def aclose(self) -> None:
        """Stop FFmpeg (pipe closed, then SIGTERM, then SIGKILL, each with a timeout) and reap it. Idempotent."""
        transport = self._transport
        if self._state is not SourceState.FAILED and not self.exhausted:
            self._state = SourceState.CLOSED
        self._buffer.clear()
        if transport is None:
            self._finished.set()
            return
        self._buffer.ready.set()
        # A FFmpeg blocked writing a full pipe ignores SIGTERM until the write fails, so close the pipe first.
        stdout = transport.get_pipe_transport(_STDOUT)
        if stdout is not None:
            stdout.close()
        if transport.get_returncode() is None:
            await self._signal_and_wait(transport)
        transport.close()
        try:
            async with asyncio.timeout(self._options.close_timeout_s):
                await self._finished.wait()
        except TimeoutError:
            _log.warning("ffmpeg %s for %s did not release its pipes", transport.get_pid(), self._label)

    async def _signal_and_wait(self, transport: asyncio.SubprocessTransport) -> None:
        for stop in (transport.terminate, transport.kill):
            try:
                stop()
            except ProcessLookupError:
                return
            try:
                async with asyncio.timeout(self._options.close_timeout_s):
                    await self._exited.wait()
                return
            except TimeoutError:
                _log.warning("ffmpeg %s for %s ignored %s", transport.get_pid(), self._label, stop.__name__)

    # -- protocol callbacks -----------------------------------------------------------------------------------------

    def _on_audio(self, data: bytes) -> None:
        if self._state in (SourceState.CLOSED, SourceState.FAILED):
            return
        try:
            packets = self._demux.feed(data)
        except OggError as exc:
            self._fail(SourceError(f"FFmpeg sent a malformed stream for {self._label}: {exc}"))
            self._kill()
            return
        if self._state is SourceState.STARTING:
            self._state = SourceState.STREAMING
        self._buffer.add(packets)

    def _on_stderr(self, data: bytes) -> None:
        self._stderr += data
        if len(self._stderr) > _STDERR_TAIL:
            del self._stderr[: len(self._stderr) - _STDERR_TAIL]

    def _on_exit(self) -> None:
        self._exited.set()

    def _on_finished(self) -> None:
        """All pipes are closed and the process is reaped: decide how the stream ended."""
        if self._state in (SourceState.STARTING, SourceState.STREAMING):
            self._state = self._final_state()
        self._buffer.ready.set()
        self._finished.set()

    def _final_state(self) -> SourceState:
        assert self._transport is not None
        code = self._transport.get_returncode()
        if code != 0:
            self._error = SourceError(self._describe_failure(code))
            return SourceState.FAILED
        try:
            self._demux.close()
        except OggError as exc:
            self._error = SourceError(f"FFmpeg output for {self._label} ends abruptly: {exc}")
            return SourceState.FAILED
        if broken := self._input_error():
            # FFmpeg ends "successfully" when its input breaks off mid-track (a reset, a stall): that is a failure.
            self._error = SourceError(f"the stream {self._label} broke off: {scrub(broken, self._url)[-300:]}")
            return SourceState.FAILED
        if not self._buffer.received and self.start_ms == 0:
            self._error = SourceError(f"no audio in {self._label}")
            return SourceState.FAILED
        return SourceState.ENDED

    def _input_error(self) -> str | None:
        """FFmpeg's report of a failed read of its input ("<input>: Input/output error"), if it made one."""
        target = self.argv[self.argv.index("-i") + 1] + ": " if "-i" in self.argv else None
        lines = self._stderr.decode("utf-8", "replace").splitlines()
        return next((line for line in lines if target and line.startswith(target)), None)

    def _describe_failure(self, code: int | None) -> str:
        lines = self._stderr.decode("utf-8", "replace").strip().splitlines()
        detail = scrub(" | ".join(line.strip() for line in lines[-3:]), self._url)[-500:] or "no error output"
        return f"ffmpeg failed for {self._label} (exit {code}): {detail}"

    def _fail(self, error: SourceError) -> None:
        if self._error is None:
            self._error = error
            _log.info("%s", error)
        self._state = SourceState.FAILED
        self._buffer.ready.set()

    def _kill(self) -> None:
        if self._transport is not None and self._transport.get_returncode() is None:
            self._transport.kill()

    def _pause_reading(self) -> None:
        pipe = self._transport.get_pipe_transport(_STDOUT) if self._transport is not None else None
        if isinstance(pipe, asyncio.ReadTransport):
            pipe.pause_reading()

    def _resume_reading(self) -> None:
        pipe = self._transport.get_pipe_transport(_STDOUT) if self._transport is not None else None
        if isinstance(pipe, asyncio.ReadTransport) and not pipe.is_closing():
            pipe.resume_reading()


class _FFmpegProtocol(asyncio.SubprocessProtocol):
    def __init__(self, source: FFmpegSource) -> None:
        self._source = source

    @override
    def pipe_data_received(self, fd: int, data: bytes) -> None:
        if fd == _STDOUT:
            self._source._on_audio(data)
        elif fd == _STDERR:
            self._source._on_stderr(data)

    @override
    def process_exited(self) -> None:
        self._source._on_exit()

    @override
    def connection_lost(self, exc: Exception | None) -> None:
        self._source._on_finished()


def _shrink_pipe(pipe: asyncio.BaseTransport | None, size: int) -> None:
    handle = pipe.get_extra_info("pipe") if pipe is not None else None
    if handle is None or size <= 0:
        return
    try:
        fcntl.fcntl(handle.fileno(), fcntl.F_SETPIPE_SZ, size)
    except (OSError, ValueError) as exc:  # ValueError: the process already exited and its pipe is closed
        _log.debug("cannot resize ffmpeg's pipe: %s", exc)


def _renice(pid: int, increment: int) -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, pid, os.getpriority(os.PRIO_PROCESS, pid) + increment)
    except ProcessLookupError:
        return  # it already exited; its output is still read and judged
    except OSError as exc:
        _log.warning("cannot renice ffmpeg %s: %s", pid, exc)
