"""Media for chaos tests: a ramp whose frequency tells the position, and short distinct tones.

`ramp.mp3` is a sine whose frequency rises linearly with time (200 Hz + 50 Hz/s over 60 s), so the frequency the
listener hears at any moment says which position of the track was playing: a resume at the wrong place is audible.
The files are served by a media server in a process of its own (see `media_process`).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from tests.services.processes import ROOT

RAMP_BASE_HZ: Final = 200.0
RAMP_SLOPE_HZ_PER_S: Final = 50.0
RAMP_SECONDS: Final = 60
TONES: Final = {"c250": 250, "c350": 350, "c450": 450, "c650": 650, "c750": 750}
TONE_SECONDS: Final = 4


@dataclass(frozen=True)
class ChaosMedia:
    base: str

    def url(self, name: str) -> str:
        return f"{self.base}/chaos/{name}"


def ramp_position_s(frequency_hz: float) -> float:
    """The ramp position (seconds) at which this frequency plays."""
    return (frequency_hz - RAMP_BASE_HZ) / RAMP_SLOPE_HZ_PER_S


MP3: Final = ("-c:a", "libmp3lame", "-b:a", "128k")
OPUS_WEBM: Final = ("-c:a", "libopus", "-b:a", "64k", "-frame_duration", "20", "-f", "webm")


def _ffmpeg(out: Path, source: str, codec: tuple[str, ...] = MP3) -> None:
    args = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source, "-ac", "2"]
    subprocess.run([*args, "-ar", "48000", *codec, str(out)], check=True, timeout=120)


def make_chaos_media(root: Path) -> None:
    """Write the chaos media into `root/chaos/`."""
    folder = root / "chaos"
    folder.mkdir(parents=True, exist_ok=True)
    # phase 2π(f0·t + k·t²/2) gives the instantaneous frequency f0 + k·t; 1/4 of full scale
    phase = f"{RAMP_BASE_HZ}*t+{RAMP_SLOPE_HZ_PER_S / 2}*t*t"
    ramp = f"aevalsrc=0.25*sin(2*PI*({phase})):d={RAMP_SECONDS}:s=48000"
    _ffmpeg(folder / "ramp.mp3", ramp)
    _ffmpeg(folder / "ramp.webm", ramp, OPUS_WEBM)  # Opus: played by passthrough, no encoder (the soak's 50 guilds)
    for name, freq in TONES.items():
        _ffmpeg(folder / f"{name}.mp3", f"sine=f={freq}:d={TONE_SECONDS}")


@contextmanager
def media_process(root: Path) -> Iterator[str]:
    """Serve `root` from a media server process; yields its base URL."""
    args = [sys.executable, "-m", "tests.chaos.media_process", str(root)]
    with subprocess.Popen(args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            base = process.stdout.readline().strip()
            if not base.startswith("http://"):
                raise RuntimeError(f"the media server did not start (exit {process.poll()})")
            yield base
        finally:
            process.terminate()
            process.wait(timeout=10)
