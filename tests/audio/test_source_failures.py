"""How an FFmpeg process that exits 0 is judged: a broken input or no audio at all is a failure, not an end.

The "FFmpeg" here is a tiny Python script with FFmpeg's exit status and error output: what FFmpeg prints when its
input breaks off mid-track (it then exits 0 after flushing what it decoded) is hard to provoke on purpose.
"""

from __future__ import annotations

import sys

from tests.factories import make_stream
from worker.audio.ffmpeg_args import PipelineOptions, PlaybackMode, TrackRequest
from worker.audio.ffmpeg_source import FFmpegSource, SourceState

URL = "http://127.0.0.1:9/song.mp3?token=secret"


async def _judged(script: str, *, start_ms: int = 0) -> tuple[SourceState, str | None]:
    argv = [sys.executable, "-c", script, "-i", URL]
    request = TrackRequest(make_stream(URL), "t", start_ms=start_ms)
    source = FFmpegSource(argv, request=request, mode=PlaybackMode.TRANSCODE, options=PipelineOptions(niceness=0))
    await source.start()
    try:
        await source.wait_finished()
        return source.state, str(source.error) if source.error else None
    finally:
        await source.aclose()


async def test_an_input_that_broke_off_fails_even_when_ffmpeg_exits_0() -> None:
    state, error = await _judged(f"import sys; sys.stderr.write({URL!r} + ': Input/output error\\n')")
    assert state is SourceState.FAILED
    assert error is not None and "broke off" in error and "secret" not in error


async def test_a_stream_without_a_single_frame_fails() -> None:
    state, error = await _judged("pass")
    assert state is SourceState.FAILED
    assert error is not None and "no audio" in error


async def test_nothing_left_after_a_resume_near_the_end_is_a_normal_end() -> None:
    assert await _judged("pass", start_ms=59_000) == (SourceState.ENDED, None)
