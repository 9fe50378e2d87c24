"""What the equalizer (worker/audio/filters.py) costs per stream, against FFmpeg's other equalizers.

FFmpeg decodes a synthetic-music mp3 (bench/music.py), runs one `-af` graph and encodes Opus 128k to `-f null`, as a
transcoding pipeline does (one filter and one codec thread), as fast as it can: its CPU per second of audio for no
equalizer, encore's graphs (the bass preset: 6 peaking biquads then the limiter; all 15 bands at ±3 dB) and, for
comparison, `firequalizer` with the same 15 points (delay 0.1 s, which its lowest bands need) and `superequalizer`
(18 fixed bands).

    .venv/bin/python -m bench.eq_cost --seconds 120 --rounds 3
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from bench.cpu import children_cpu_s
from bench.music import make_music
from shared.models import EQ_BANDS_HZ, Equalizer, EqualizerPreset, FilterChain
from worker.audio.filters import build_filter_graph


def _graphs() -> dict[str, str]:
    every_band = Equalizer(gains_db=tuple((-1.0) ** i * 3.0 for i in range(len(EQ_BANDS_HZ))))
    points = ";".join(f"entry({hz},{gain:g})" for hz, gain in every_band.bands)
    return {
        "no equalizer (aresample only)": "aresample=48000",
        "encore, bass preset": str(build_filter_graph(FilterChain(), 100, Equalizer.of_preset(EqualizerPreset.BASS))),
        "encore, all 15 bands": str(build_filter_graph(FilterChain(), 100, every_band)),
        "firequalizer, 15 points": f"firequalizer=gain_entry='{points}':delay=0.1",
        "superequalizer, 18 bands": "superequalizer=" + ":".join(f"{i}b=1.4" for i in range(1, 19)),
    }


def _cpu_s(source: Path, graph: str) -> float:
    # one filter thread and one codec thread, as the player's pipelines run (worker/audio/ffmpeg_args.py)
    argv = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error", "-filter_threads", "1", "-threads", "1"]
    argv += ["-i", str(source), "-af", graph]
    argv += ["-c:a", "libopus", "-b:a", "128k", "-f", "null", "-"]
    before = children_cpu_s()
    subprocess.run(argv, check=True)
    return children_cpu_s() - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source = make_music(Path(tmp), args.seconds)["mp3"]
        graphs = _graphs()
        best = {name: min(_cpu_s(source, graph) for _ in range(args.rounds)) for name, graph in graphs.items()}
    base = best["no equalizer (aresample only)"]
    print(f"{args.seconds} s of audio, best of {args.rounds}: CPU per second of audio (decode + graph + Opus)")
    for name, cpu in best.items():
        print(f"  {name:32} {cpu / args.seconds * 1000:6.2f} ms/s   ({(cpu - base) / args.seconds * 1000:+.2f} ms/s)")


if __name__ == "__main__":
    main()
