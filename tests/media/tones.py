"""The test tones: three 5 s sines (220, 330, 440 Hz) in six codecs, tagged, rendered by ffmpeg.

Names, titles and tags are what the resolver tests assert on: `media/tone<N>_<FREQ>hz.<ext>`, title
`Test Tone <N> (<FREQ> Hz, <ext>)`, artist `Encore Test Artist`, 48 kHz stereo. `CATALOG` lists them tone by tone,
each tone in the order of `CODECS`; feeds, pages and the paged sources all cycle through it in that order.

Speed: ffmpeg's start-up costs about as much as encoding 5 s of audio, so a few processes write all 18 files (one
lavfi input per tone, one output per file) instead of one process per file, two at a time so both cores encode.
Determinism: every output is bit-exact (no encoder version string, Ogg serials and Matroska UIDs derived rather than
random), so one ffmpeg build writes the same bytes on every run, and the feeds that carry file sizes do not change.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

ARTIST: Final = "Encore Test Artist"
ALBUM: Final = "Encore Test Album"
SECONDS: Final = 5.0
SAMPLE_RATE: Final = 48_000
FREQUENCIES: Final = (220, 330, 440)
FFMPEG_TIMEOUT_S: Final = 120


@dataclass(frozen=True, slots=True)
class Codec:
    """One container/codec pair: the file extension, the MIME type a feed announces, ffmpeg's output options."""

    ext: str
    mime: str
    options: tuple[str, ...]


CODECS: Final = (
    Codec("mp3", "audio/mpeg", ("-c:a", "libmp3lame", "-b:a", "128k")),
    Codec("ogg", "audio/ogg", ("-c:a", "libopus", "-b:a", "96k", "-f", "ogg")),
    Codec("webm", "audio/webm", ("-c:a", "libopus", "-b:a", "96k", "-f", "webm")),
    Codec("m4a", "audio/mp4", ("-c:a", "aac", "-b:a", "128k")),
    Codec("flac", "audio/flac", ("-c:a", "flac")),
    Codec("wav", "audio/wav", ("-c:a", "pcm_s16le")),
)

# The formats each ffmpeg process writes; the two groups take about the same CPU time (AAC is the slowest encoder).
_GROUPS: Final = (("mp3", "ogg", "webm"), ("m4a", "flac", "wav"))


@dataclass(frozen=True, slots=True)
class Tone:
    """One file of the library: tone number `n` at `freq` Hz in `codec`."""

    n: int
    freq: int
    codec: Codec
    seconds: float = SECONDS

    @property
    def fmt(self) -> str:
        return self.codec.ext

    @property
    def file(self) -> str:
        """The path under the library root (and under the server's base URL)."""
        return f"media/tone{self.n}_{self.freq}hz.{self.fmt}"

    @property
    def title(self) -> str:
        return f"Test Tone {self.n} ({self.freq} Hz, {self.fmt})"


CATALOG: Final = tuple(Tone(n, freq, codec) for n, freq in enumerate(FREQUENCIES, 1) for codec in CODECS)


def tone(n: int, fmt: str) -> Tone:
    """Tone number `n` (from 1) in the codec with extension `fmt`."""
    return next(t for t in CATALOG if (t.n, t.fmt) == (n, fmt))


def _command(root: Path, formats: tuple[str, ...]) -> list[str]:
    """One ffmpeg run: a sine input per tone, then one bit-exact, tagged output per (tone, format)."""
    args = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    for freq in FREQUENCIES:
        args += ["-f", "lavfi", "-i", f"sine=frequency={freq}:sample_rate={SAMPLE_RATE}:duration={SECONDS:g}"]
    for tone in CATALOG:
        if tone.fmt not in formats:
            continue
        tags = {"title": tone.title, "artist": ARTIST, "album": ALBUM}
        args += ["-map", f"{tone.n - 1}:a", "-ac", "2", "-fflags", "+bitexact", "-flags:a", "+bitexact"]
        args += [item for key, value in tags.items() for item in ("-metadata", f"{key}={value}")]
        args += [*tone.codec.options, str(root / tone.file)]
    return args


@contextmanager
def rendered(root: Path) -> Iterator[None]:
    """Render every file of `CATALOG` under `root` while the body runs; on exit wait for it (failures raise).

    The body may write anything that does not need the files' bytes; if it raises, the ffmpeg runs are killed.
    """
    (root / "media").mkdir(parents=True, exist_ok=True)
    processes = [_start(_command(root, group)) for group in _GROUPS]
    try:
        yield
    except BaseException:
        for process in processes:
            process.kill()
            process.wait()
        raise
    _wait(processes)


def _start(command: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait(processes: list[subprocess.Popen[bytes]]) -> None:
    errors = []
    for process in processes:
        try:
            _, stderr = process.communicate(timeout=FFMPEG_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            _, stderr = process.communicate()
        if process.returncode != 0:
            errors.append(f"ffmpeg exited {process.returncode}: {stderr.decode(errors='replace').strip()}")
    if errors:
        raise RuntimeError("rendering the test tones failed: " + "; ".join(errors))
