"""Synthetic music for the audio benchmarks: files that cost FFmpeg's encoder about what real music does."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Final

# A chord with slow amplitude modulation plus pink noise: costs the encoder about what music does (a bare sine is
# much cheaper to encode than real material).
_CHORD: Final = (
    "aevalsrc='0.25*sin(2*PI*220*t)*(1+0.5*sin(2*PI*0.3*t))+0.15*sin(2*PI*277.2*t)+0.15*sin(2*PI*329.6*t)"
    "+0.1*sin(2*PI*880*t)*sin(2*PI*3*t)|0.25*sin(2*PI*220*t)*(1+0.5*cos(2*PI*0.3*t))+0.15*sin(2*PI*277.2*t)"
    "+0.15*sin(2*PI*415.3*t)+0.1*sin(2*PI*660*t)*sin(2*PI*2*t)':s=48000:d={d}"
)


def make_music(root: Path, seconds: int) -> dict[str, Path]:
    """WebM/Opus 128k (passthrough source) and mp3 192k (transcode source) of synthetic music."""
    root.mkdir(parents=True, exist_ok=True)
    outputs = {
        "webm": (["-c:a", "libopus", "-b:a", "128k", "-f", "webm"], root / f"music{seconds}.webm"),
        "mp3": (["-c:a", "libmp3lame", "-b:a", "192k"], root / f"music{seconds}.mp3"),
    }
    for args, path in outputs.values():
        if path.exists():
            continue
        cmd = ["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
        cmd += ["-f", "lavfi", "-i", _CHORD.format(d=seconds)]
        cmd += ["-f", "lavfi", "-i", f"anoisesrc=color=pink:amplitude=0.08:d={seconds}:r=48000"]
        cmd += ["-filter_complex", "[1]aformat=channel_layouts=stereo[n];[0][n]amix=inputs=2:normalize=0", *args]
        subprocess.run([*cmd, str(path)], check=True, timeout=600)
    return {name: path for name, (_, path) in outputs.items()}
