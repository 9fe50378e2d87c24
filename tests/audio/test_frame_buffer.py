"""The read-ahead both sources share: the reader is paused at the bound and resumed below it, skips reach frames not
yet arrived, and `ready` comes with the first `ready_frames`."""

from __future__ import annotations

from worker.audio.ffmpeg_args import PipelineOptions
from worker.audio.frame_buffer import FrameBuffer

OPTIONS = PipelineOptions(readahead_frames=8, resume_frames=4, refill_jitter_frames=0, ready_frames=3)


class Reader:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def pause(self) -> None:
        self.calls.append("pause")

    def resume(self) -> None:
        self.calls.append("resume")


def frames(start: int, count: int) -> list[bytes]:
    return [bytes([n]) for n in range(start, start + count)]


def test_the_reader_pauses_at_the_bound_and_resumes_below_the_resume_mark() -> None:
    reader = Reader()
    buffer = FrameBuffer(OPTIONS, pause=reader.pause, resume=reader.resume)
    buffer.add(frames(0, 8))
    assert reader.calls == ["pause"]
    assert buffer.paused
    buffer.add(frames(8, 2))
    assert reader.calls == ["pause"], "a paused reader is not paused again"
    assert [buffer.read() for _ in range(6)] == frames(0, 6)
    assert reader.calls == ["pause"], "five frames left: still above the resume mark"
    assert buffer.read() == bytes([6])
    assert reader.calls == ["pause", "resume"]
    assert (len(buffer), buffer.played) == (3, 7)


def test_a_skip_beyond_the_buffer_drops_frames_as_they_arrive() -> None:
    buffer = FrameBuffer(OPTIONS, pause=lambda: None, resume=lambda: None)
    buffer.add(frames(0, 2))
    buffer.skip(5)
    assert buffer.read() is None
    buffer.add(frames(2, 4))
    assert buffer.peek() == bytes([5])
    assert buffer.played == 5
    assert buffer.received == 6


def test_ready_comes_with_the_first_ready_frames() -> None:
    buffer = FrameBuffer(OPTIONS, pause=lambda: None, resume=lambda: None)
    buffer.add(frames(0, 2))
    assert not buffer.ready.is_set()
    buffer.add(frames(2, 1))
    assert buffer.ready.is_set()
