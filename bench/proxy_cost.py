"""What the guarded FFmpeg proxy (worker/resolve/proxy.py) costs per stream.

The loopback media server runs in its own process (tests/chaos/media_process.py), so this process's CPU time is the
proxy's alone.
FFmpeg copies a long mp3 (192 kbit/s, a typical stream rate) to `-f null` as fast as it can, `--streams` at a time,
direct and through the proxy: the proxy's CPU per MiB relayed and FFmpeg's own CPU both ways. Then
`--realtime-streams` FFmpegs read at playback speed (`-re`, smaller reads, as in playback) through the proxy: its CPU
per second of audio per stream, to set against a whole stream's cost in docs/benchmarks.md.

    .venv/bin/python -m bench.proxy_cost --seconds 600 --streams 4 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from bench.cpu import children_cpu_s
from bench.music import make_music
from tests.chaos.media import media_process
from worker.audio.ffmpeg_args import PipelineOptions, input_args, subprocess_env
from worker.resolve.guard import UrlGuard
from worker.resolve.proxy import GuardedProxy

_STREAM_BYTES_PER_S = 192_000 / 8


async def _copy(url: str, options: PipelineOptions, realtime_s: int = 0) -> None:
    argv = ["ffmpeg", "-hide_banner", "-nostdin", "-loglevel", "error"]
    if realtime_s:
        argv += ["-re", "-t", str(realtime_s)]
    argv += input_args(url, options)
    argv += ["-map", "0:a:0", "-c", "copy", "-f", "null", "-"]
    proc = await asyncio.create_subprocess_exec(*argv, env=subprocess_env(options))
    if await proc.wait() != 0:
        raise SystemExit(f"ffmpeg failed on {url}")


async def _round(url: str, options: PipelineOptions, streams: int, realtime_s: int = 0) -> tuple[float, float, float]:
    """(this process's CPU s, FFmpeg's CPU s, wall s) for `streams` parallel copies."""
    cpu, children, wall = time.process_time(), children_cpu_s(), time.perf_counter()
    await asyncio.gather(*(_copy(url, options, realtime_s) for _ in range(streams)))
    return time.process_time() - cpu, children_cpu_s() - children, time.perf_counter() - wall


async def main(args: argparse.Namespace) -> None:
    root = Path(tempfile.gettempdir()) / "encore-bench-media"
    path = make_music(root, args.seconds)["mp3"]
    size_mib = path.stat().st_size / 2**20
    with media_process(root) as base:
        url = f"{base}/{path.name}"
        async with GuardedProxy(UrlGuard(("127.0.0.1",))) as proxy:
            for label, options in (("direct", PipelineOptions()), ("proxied", PipelineOptions(http_proxy=proxy.url))):
                rounds = [await _round(url, options, args.streams) for _ in range(args.rounds)]
                mine = min(r[0] for r in rounds)
                ffmpeg = min(r[1] for r in rounds)
                wall = min(r[2] for r in rounds)
                relayed = size_mib * args.streams
                print(f"{label:8} {args.streams} × {size_mib:.1f} MiB in {wall:.2f} s wall (best of {args.rounds})")
                print(f"         FFmpeg CPU {ffmpeg * 1000 / relayed:.1f} ms/MiB")
                if label == "proxied":
                    per_mib = mine / relayed
                    per_stream = per_mib * _STREAM_BYTES_PER_S / 2**20
                    print(f"         proxy CPU {per_mib * 1000:.1f} ms/MiB")
                    print(f"         one 192 kbit/s stream, at this read size: {per_stream * 1000:.3f} ms CPU/s")
            if args.realtime_streams:
                options = PipelineOptions(http_proxy=proxy.url)
                mine, _, wall = await _round(url, options, args.realtime_streams, args.realtime_seconds)
                per_stream = mine / wall / args.realtime_streams
                print(f"real time {args.realtime_streams} streams read at playback speed (-re) for {wall:.1f} s:")
                print(f"         proxy CPU {per_stream * 1000:.3f} ms per second of audio per stream")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=600, help="length of the test file")
    parser.add_argument("--streams", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--realtime-streams", type=int, default=20, help="0 skips the playback-speed run")
    parser.add_argument("--realtime-seconds", type=int, default=20)
    asyncio.run(main(parser.parse_args()))
