"""Media for end-to-end playback tests, written into the loopback media server's root with ffmpeg."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.media.server import MediaServer

TONES = {"t220": 220, "t330": 330, "t550": 550}


@dataclass(frozen=True)
class E2EMedia:
    server: MediaServer

    def url(self, name: str) -> str:
        return self.server.url(f"e2e/{name}")


def _ffmpeg(out: Path, source: str, *codec: str) -> None:
    args = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source, "-ac", "2"]
    subprocess.run([*args, "-ar", "48000", *codec, str(out)], check=True, timeout=120)


def make_e2e_media(server: MediaServer) -> E2EMedia:
    root = server.root / "e2e"
    root.mkdir(exist_ok=True)
    mp3 = ("-c:a", "libmp3lame", "-b:a", "128k")
    _ffmpeg(root / "a440.mp3", "sine=f=440:d=30", *mp3)
    for name, freq in TONES.items():
        _ffmpeg(root / f"{name}.mp3", f"sine=f={freq}:d=2.5", *mp3)
    # 8 s of 330 Hz then 22 s of 660 Hz: where a seek lands is audible
    _ffmpeg(root / "steps.mp3", "sine=f=330:d=8[a];sine=f=660:d=22[b];[a][b]concat=n=2:v=0:a=1", *mp3)
    # 6 s of 440 Hz, 5 s of 880 Hz (the "sponsor read" the fake SponsorBlock marks), then 19 s of 440 Hz
    tones = "sine=f=440:d=6[a];sine=f=880:d=5[b];sine=f=440:d=19[c];[a][b][c]concat=n=3:v=0:a=1"
    _ffmpeg(root / "sponsored.mp3", tones, *mp3)
    # lavfi's sine is at 1/8 of full scale; this one peaks at 0.99
    _ffmpeg(root / "loud.wav", "aevalsrc=0.99*sin(2*PI*440*t):d=30:s=48000", "-c:a", "pcm_s16le")
    # 60 Hz and 8 kHz at once: an equalizer's effect on each is measurable in what the listener hears
    _ffmpeg(root / "bands.mp3", "aevalsrc=0.2*sin(2*PI*60*t)+0.2*sin(2*PI*8000*t):d=30:s=48000", *mp3)
    _ffmpeg(root / "opus440.webm", "sine=f=440:d=30", "-c:a", "libopus", "-b:a", "96k", "-f", "webm")
    lines = ["#EXTM3U"] + [f"#EXTINF:2,{name}\n{server.url(f'e2e/{name}.mp3')}" for name in TONES]
    (root / "three.m3u").write_text("\n".join(lines) + "\n")
    return E2EMedia(server)
