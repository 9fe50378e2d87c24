"""The first extraction of a fresh worker process, with and without the extractor warm-up at start.

Each round starts two new Python processes, one that starts its yt-dlp stack cold (`YtDlp.start(warm=False)`) and
one warmed (`warm=True`), in alternating order, and times in each: the start, then the first extraction of a direct
media link on the loopback media server (a link only yt-dlp's generic extractor takes, so the first extraction is
tried against every extractor's URL pattern). The warm-up moves that cost from the first `/play` to the start.

    .venv/bin/python -m bench.first_resolve --rounds 10
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.media.library import write_library
from tests.media.server import MediaServer
from worker.resolve.guard import UrlGuard
from worker.resolve.ytdlp import YtDlp


async def _child(url: str, warm: bool) -> None:
    ytdlp = YtDlp(UrlGuard(("127.0.0.1",)), threads=1)
    started = time.perf_counter()
    await ytdlp.start(warm=warm)
    ready = time.perf_counter()
    await ytdlp.extract(url, first=20, cap=100)
    done = time.perf_counter()
    ytdlp.close()
    print(f"{(ready - started) * 1000:.1f} {(done - ready) * 1000:.1f}")


def _run_child(url: str, warm: bool) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.first_resolve", "--child", url, "--warm" if warm else "--cold"],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout.split()
    return float(out[-2]), float(out[-1])


def _summary(name: str, runs: list[tuple[float, float]]) -> str:
    starts, firsts = [r[0] for r in runs], [r[1] for r in runs]
    return (
        f"{name:<6} start p50 {statistics.median(starts):7.1f} ms   first extraction p50 "
        f"{statistics.median(firsts):7.1f} ms (min {min(firsts):.1f}, max {max(firsts):.1f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--warm", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--cold", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(_child(args.child, args.warm))
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with MediaServer(root) as media:
            write_library(root, media.base, 10)
            url = media.url("media/tone2_330hz.mp3")
            cold: list[tuple[float, float]] = []
            warm: list[tuple[float, float]] = []
            for n in range(args.rounds):
                order = (False, True) if n % 2 == 0 else (True, False)
                for is_warm in order:
                    (warm if is_warm else cold).append(_run_child(url, is_warm))
    print(_summary("cold", cold))
    print(_summary("warm", warm))
    ratio = statistics.median(r[1] for r in warm) / statistics.median(r[1] for r in cold)
    print(f"first extraction, warm / cold: {ratio:.2f}")


if __name__ == "__main__":
    main()
