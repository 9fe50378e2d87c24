"""Fixtures for audio tests: tones made with ffmpeg at test time, loopback media servers over them, leak checks."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest

from tests.media.server import MediaServer
from tests.services.proc import children
from worker.audio.ffmpeg_args import PipelineOptions
from worker.audio.opener import SourceOpener
from worker.resolve.proxy import GuardedProxy

_TONE: Final = "aevalsrc=0.5*sin(2*PI*{f}*t)|0.5*sin(2*PI*{f}*t):s={rate}:d={d}"
_SPLIT: Final = (
    "aevalsrc=0.5*sin(2*PI*if(lt(t\\,1)\\,220\\,880)*t)|0.5*sin(2*PI*if(lt(t\\,1)\\,220\\,880)*t):s=48000:d=2"
)
_SWEEP: Final = "aevalsrc=0.5*sin(2*PI*(200+40*t)*t)|0.5*sin(2*PI*(300+40*t)*t):s=48000:d=20"
_OPUS: Final = ["-c:a", "libopus", "-b:a", "128k"]

# name → (lavfi source, output arguments)
MEDIA: Final[dict[str, tuple[str, list[str]]]] = {
    "tone440.mp3": (_TONE.format(f=440, rate=48000, d=3), ["-c:a", "libmp3lame", "-b:a", "192k"]),
    "tone440.ogg": (_TONE.format(f=440, rate=48000, d=3), [*_OPUS, "-f", "ogg"]),
    "tone440.webm": (_TONE.format(f=440, rate=48000, d=3), [*_OPUS, "-f", "webm"]),
    "tone440.wav": (_TONE.format(f=440, rate=48000, d=3), ["-c:a", "pcm_s16le"]),
    "tone440_44k.mp3": (_TONE.format(f=440, rate=44100, d=3), ["-c:a", "libmp3lame", "-b:a", "192k"]),
    "mono440.mp3": ("aevalsrc=0.5*sin(2*PI*440*t):s=48000:d=3", ["-c:a", "libmp3lame"]),
    "vorbis440.ogg": (_TONE.format(f=440, rate=48000, d=3), ["-c:a", "libvorbis", "-f", "ogg"]),
    "frames60.ogg": (_TONE.format(f=440, rate=48000, d=3), [*_OPUS, "-frame_duration", "60", "-f", "ogg"]),
    "loud440.wav": ("aevalsrc=0.999*sin(2*PI*440*t)|0.999*sin(2*PI*440*t):s=48000:d=3", ["-c:a", "pcm_s16le"]),
    "split.mp3": (_SPLIT, ["-c:a", "libmp3lame", "-b:a", "192k"]),
    "split.webm": (_SPLIT, [*_OPUS, "-f", "webm"]),
    # 60 Hz, 1 kHz and 8 kHz at once: where an equalizer acts is measurable per tone
    "tones3.wav": (
        "aevalsrc=0.15*(sin(2*PI*60*t)+sin(2*PI*1000*t)+sin(2*PI*8000*t))|"
        "0.15*(sin(2*PI*60*t)+sin(2*PI*1000*t)+sin(2*PI*8000*t)):s=48000:d=3",
        ["-c:a", "pcm_s16le"],
    ),
    "long.mp3": (_TONE.format(f=440, rate=48000, d=30), ["-c:a", "libmp3lame"]),
    # a rising sweep (every packet differs) in 2 s clusters, cues at the end as FFmpeg writes them
    "sweep.webm": (_SWEEP, [*_OPUS, "-cluster_time_limit", "2000", "-f", "webm"]),
    "sweep.ogg": (_SWEEP, [*_OPUS, "-f", "ogg"]),
    "live.webm": (_TONE.format(f=440, rate=48000, d=6), [*_OPUS, "-live", "1", "-f", "webm"]),
    "frames60.webm": (_TONE.format(f=440, rate=48000, d=3), [*_OPUS, "-frame_duration", "60", "-f", "webm"]),
}


@dataclass(frozen=True, slots=True)
class Media:
    root: Path

    def path(self, name: str) -> str:
        return str(self.root / name)

    def read(self, name: str) -> bytes:
        return (self.root / name).read_bytes()


def _make(root: Path, name: str, source: str, output: list[str]) -> None:
    cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source, *output]
    subprocess.run([*cmd, str(root / name)], check=True, timeout=60)


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> Media:
    root = tmp_path_factory.mktemp("audio-media")
    with ThreadPoolExecutor(max_workers=4) as pool:
        jobs = [pool.submit(_make, root, name, src, out) for name, (src, out) in MEDIA.items()]
        for job in jobs:
            job.result()
    (root / "notaudio.txt").write_text("this is not audio\n" * 100)
    return Media(root)


@pytest.fixture(scope="session")
def http_media(media: Media) -> Iterator[MediaServer]:
    with MediaServer(media.root) as server:
        yield server


@pytest.fixture
def options() -> PipelineOptions:
    return PipelineOptions(allow_file=True, ready_timeout_s=10.0)


@pytest.fixture
def proxied_options(proxy: GuardedProxy) -> PipelineOptions:
    return PipelineOptions(allow_file=True, ready_timeout_s=10.0, http_proxy=proxy.url)


@pytest.fixture
def opener(options: PipelineOptions) -> SourceOpener:
    return SourceOpener(options)


def ffmpeg_children() -> list[str]:
    """ffmpeg/ffprobe processes (zombies included) whose parent is this test process."""
    return [
        f"{child.pid} {child.name} state={child.state}"
        for child in children(os.getpid())
        if child.name in ("ffmpeg", "ffprobe")
    ]


@pytest.fixture(autouse=True)
def _no_leaked_ffmpeg() -> Iterator[None]:
    yield
    assert ffmpeg_children() == [], "a test left ffmpeg processes behind"


@pytest.fixture
def hop_server(media: Media) -> Iterator[MediaServer]:
    """A server of its own per test, for redirect rules (tests/media/server.py)."""
    with MediaServer(media.root) as server:
        yield server
