"""Media for chaos tests: a ramp whose frequency tells the position, and short distinct tones.

`ramp.mp3` is a sine whose frequency rises linearly with time (200 Hz + 50 Hz/s over 60 s), so the frequency the
listener hears at any moment says which position of the track was playing: a resume at the wrong place is audible.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from tests.media.server import MediaServer

RAMP_BASE_HZ: Final = 200.0
RAMP_SLOPE_HZ_PER_S: Final = 50.0
RAMP_SECONDS: Final = 60
TONES: Final = {"c250": 250, "c350": 350, "c450": 450, "c650": 650, "c750": 750}
TONE_SECONDS: Final = 4


@dataclass(frozen=True)
class ChaosMedia:
    server: MediaServer

    def url(self, name: str) -> str:
        return self.server.url(f"chaos/{name}")


def ramp_position_s(frequency_hz: float) -> float:
    """The ramp position (seconds) at which this frequency plays."""
    return (frequency_hz - RAMP_BASE_HZ) / RAMP_SLOPE_HZ_PER_S


def _ffmpeg(out: Path, source: str) -> None:
    args = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source, "-ac", "2"]
    codec = ["-ar", "48000", "-c:a", "libmp3lame", "-b:a", "128k"]
    subprocess.run([*args, *codec, str(out)], check=True, timeout=120)


def make_chaos_media(server: MediaServer) -> ChaosMedia:
    root = server.root / "chaos"
    root.mkdir(exist_ok=True)
    # phase 2π(f0·t + k·t²/2) gives the instantaneous frequency f0 + k·t; 1/4 of full scale
    phase = f"{RAMP_BASE_HZ}*t+{RAMP_SLOPE_HZ_PER_S / 2}*t*t"
    _ffmpeg(root / "ramp.mp3", f"aevalsrc=0.25*sin(2*PI*({phase})):d={RAMP_SECONDS}:s=48000")
    for name, freq in TONES.items():
        _ffmpeg(root / f"{name}.mp3", f"sine=f={freq}:d={TONE_SECONDS}")
    return ChaosMedia(server)
