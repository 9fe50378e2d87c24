"""Bench: N passthrough streams read in process (`InProcessSource`) against N FFmpeg passthrough streams, same run.

The parent serves a 4-minute WebM/Opus file (synthetic music, 128 kbit/s) from the loopback media server through
the worker's real guarded proxy, both on threads of their own. For each N and each side a child Python opens N
tracks through `SourceOpener` (staggered start positions, so the in-process side seeks through the Cues like
FFmpeg's `-ss`), plays them through one `Pacer` into `SenderSink`s (RTP, AEAD, UDP into a black hole), and after a
warm-up measures over a window:

* CPU: the child's own CPU plus its FFmpeg children's, in ms per second of audio delivered, per stream (the pacer
  and sinks cost the same on both sides and are included in both);
* memory: PSS of the child's process tree (itself plus FFmpegs) minus the child's PSS before it opened anything,
  per stream;
* opening: CPU of the child and its FFmpegs (still running, read from /proc) while the N tracks opened, per stream.

The proxy's and the server's CPU (the same bytes on both sides) is not counted. The child runs like the worker: the
frame clock at the worker's default SCHED_RR priority (when the kernel allows it) and its start-up heap frozen. It
also times two parts alone: µs per packet for `WebmOpusDemuxer.feed` over the file in 32 KiB chunks, and for the
voice send (`SenderSink.send_opus`) round-robin over N sinks.

    python -m bench.inprocess_passthrough --counts 50,200
    taskset -c 1 python -m bench.inprocess_passthrough --sides inprocess --counts 1000,1500 --child-core 0

The second form measures streams per core: each child (the worker's side: sources, pacer, senders) alone on core 0,
the media server and the proxy (YouTube's side, elsewhere in production) on core 1.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import orjson

from bench.cpu import process_cpu_s
from bench.music import make_music
from bench.voice_sink import SenderSink, udp_blackhole
from shared.models import FilterChain, FilterPreset
from shared.settings import WorkerSettings
from tests.media.server import MediaServer
from tests.services.proc import children
from worker.audio.ffmpeg_args import PipelineOptions, PlaybackMode, TrackRequest
from worker.audio.opener import SourceOpener
from worker.audio.pacer import Pacer
from worker.audio.stream import PlayableStream
from worker.audio.webm import WebmOpusDemuxer
from worker.resolve.guard import UrlGuard
from worker.resolve.proxy import GuardedProxy, ProxyLimits

SIDES: Final = ("inprocess", "ffmpeg", "filtered")
"""Passthrough read in process, passthrough through FFmpeg, and (for reference) an MP3 transcoded with bass boost and
volume 80 (FFmpeg decoding, filtering and encoding: issue 13's "filtered stream")."""
CLOCK_PRIORITY: Final = WorkerSettings.model_fields["clock_priority"].default
"""The worker's default (SCHED_RR 10, granted here to root and in compose by `rtprio`)."""
OPEN_CONCURRENCY: Final = 8
_CHUNK: Final = 32 * 1024


def _pss_kib(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in text.splitlines() if line.startswith("Pss:")), 0)


def _tree_pss_kib() -> int:
    me = os.getpid()
    return _pss_kib(me) + sum(_pss_kib(child.pid) for child in children(me))


def _ffmpeg_pids() -> list[int]:
    return [child.pid for child in children(os.getpid()) if child.name == "ffmpeg"]


async def child_run(side: str, count: int, url: str, proxy: str, warmup_s: float, window_s: float) -> dict[str, Any]:
    gc.collect()
    gc.freeze()  # as the worker does once it started (worker/app.py `freeze_start_up_objects`)
    baseline_kib = _tree_pss_kib()
    options = PipelineOptions(http_proxy=proxy, inprocess_passthrough=side == "inprocess", ready_timeout_s=60.0)
    opener = SourceOpener(options)
    gate = asyncio.Semaphore(OPEN_CONCURRENCY)
    hole = udp_blackhole()
    sinks = [SenderSink(i + 1, hole.getsockname()) for i in range(count)]

    async def open_one(index: int) -> Any:
        async with gate:
            return await opener.open(*_request(side, url, index))

    open_py0 = time.process_time()
    sources = await asyncio.gather(*(open_one(i) for i in range(count)))
    open_cpu_s = time.process_time() - open_py0 + sum(map(process_cpu_s, _ffmpeg_pids()))
    kinds = sorted({type(source).__name__ for source in sources})
    try:
        async with Pacer(priority=CLOCK_PRIORITY) as pacer:
            for index, (sink, source) in enumerate(zip(sinks, sources, strict=True)):
                pacer.attach(index, sink).play(source)
            await asyncio.sleep(warmup_s)
            pids = _ffmpeg_pids()
            frames0, py0, ff0 = pacer.counters.frames_sent, time.process_time(), sum(map(process_cpu_s, pids))
            deficits0 = pacer.counters.deficits
            started = time.monotonic()
            await asyncio.sleep(window_s)
            elapsed = time.monotonic() - started
            frames1, py1, ff1 = pacer.counters.frames_sent, time.process_time(), sum(map(process_cpu_s, pids))
            pss_kib = _tree_pss_kib()
            deficits = pacer.counters.deficits - deficits0
    finally:
        await asyncio.gather(*(source.aclose() for source in sources))
        for sink in sinks:
            sink.close()
        hole.close()
    audio_s = (frames1 - frames0) / 50
    cpu_s = (py1 - py0) + (ff1 - ff0)
    return {
        "side": side,
        "count": count,
        "kinds": kinds,
        "ffmpeg_processes": len(pids),
        "frames_per_s": (frames1 - frames0) / elapsed,
        "deficits": deficits,
        "cpu_ms_per_audio_s": cpu_s / max(audio_s, 1e-9) * 1000,
        "python_cpu": (py1 - py0) / elapsed,
        "ffmpeg_cpu": (ff1 - ff0) / elapsed,
        "pss_mib_per_stream": (pss_kib - baseline_kib) / 1024 / count,
        "open_cpu_ms_per_stream": open_cpu_s / count * 1000,
    }


def _request(side: str, url: str, index: int) -> tuple[TrackRequest, PlaybackMode]:
    start_ms = (index * 1370) % 60_000
    if side == "filtered":
        stream = PlayableStream(url=url, is_opus=False, ext="mp3", expires_at=time.time() + 3600)
        chain = FilterChain(presets=(FilterPreset.BASSBOOST,))
        return TrackRequest(stream, f"g{index}", start_ms, filters=chain, volume=80), PlaybackMode.TRANSCODE
    stream = PlayableStream(url=url, is_opus=True, ext="webm", expires_at=time.time() + 3600)
    return TrackRequest(stream, f"g{index}", start_ms), PlaybackMode.PASSTHROUGH


def demux_cost_us(path: Path, repeats: int = 5) -> float:
    """µs of `WebmOpusDemuxer.feed` per packet, the file fed in 32 KiB chunks as a socket delivers it."""
    data = path.read_bytes()
    best = float("inf")
    for _ in range(repeats):
        demux = WebmOpusDemuxer()
        packets = 0
        started = time.perf_counter()
        for i in range(0, len(data), _CHUNK):
            packets += len(demux.feed(data[i : i + _CHUNK]))
        best = min(best, (time.perf_counter() - started) / packets * 1e6)
    return best


def send_cost_us(count: int, repeats: int = 30) -> float:
    """µs per packet of `SenderSink.send_opus` alone, round-robin over `count` sinks (as cold as in a tick of them).

    What the voice send costs without the stream around it: the RTP header, the AEAD seal and the UDP send into the
    black hole, whose receive path the kernel runs on the sending core too (a remote receiver's, in production).
    """
    hole = udp_blackhole()
    sinks = [SenderSink(i + 1, hole.getsockname()) for i in range(count)]
    frame = os.urandom(320)  # a 128 kbit/s Opus frame
    best = float("inf")
    try:
        for _ in range(repeats):
            started = time.perf_counter()
            for sink in sinks:
                sink.send_opus(frame)
            best = min(best, (time.perf_counter() - started) / count * 1e6)
    finally:
        for sink in sinks:
            sink.close()
        hole.close()
    return best


class _ProxyThread:
    """The guarded proxy on an event loop of its own (as in the worker, it does not share the streams' loop)."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="proxy", daemon=True)
        self.proxy = GuardedProxy(UrlGuard(("127.0.0.1",)), ProxyLimits(max_connections=4096))

    def __enter__(self) -> str:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.proxy.start(), self._loop).result(timeout=10)
        return self.proxy.url

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.proxy.stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)


def _run_child(args: argparse.Namespace, side: str, count: int, url: str, proxy: str) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.inprocess_passthrough", "--child", side, "--counts", str(count)]
    cmd += ["--url", url, "--proxy", proxy, "--warmup", str(args.warmup), "--window", str(args.window)]
    if args.child_core is not None:
        cmd = ["taskset", "-c", str(args.child_core), *cmd]
    done = subprocess.run(cmd, capture_output=True, timeout=1800, check=False)
    if done.returncode != 0:
        return {"side": side, "count": count, "error": done.stderr.decode(errors="replace").strip()[-400:]}
    result: dict[str, Any] = orjson.loads(done.stdout.splitlines()[-1])
    return result


def _print(row: dict[str, Any]) -> None:
    if "error" in row:
        print(f"{row['side']:<10} {row['count']:>5}  error: {row['error']}", flush=True)
        return
    print(
        f"{row['side']:<10} {row['count']:>5} {row['frames_per_s'] / (50 * row['count']):>7.0%} {row['deficits']:>8} "
        f"{row['ffmpeg_processes']:>6} {row['python_cpu']:>6.0%} {row['ffmpeg_cpu']:>7.0%} "
        f"{row['cpu_ms_per_audio_s']:>8.3f} {row['pss_mib_per_stream']:>8.2f} {row['open_cpu_ms_per_stream']:>7.1f}  "
        f"{','.join(row['kinds'])}",
        flush=True,
    )


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--counts", default="50,200")
    p.add_argument("--warmup", type=float, default=3.0)
    p.add_argument("--window", type=float, default=10.0)
    p.add_argument("--media", type=Path, default=Path(tempfile.gettempdir()) / "encore-bench-media")
    p.add_argument("--sides", default=",".join(SIDES), help="comma-separated, from inprocess,ffmpeg")
    p.add_argument("--child-core", type=int, help="pin each child (the measured side) to this core")
    p.add_argument("--child", choices=SIDES, help=argparse.SUPPRESS)
    p.add_argument("--url", help=argparse.SUPPRESS)
    p.add_argument("--proxy", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse(argv)
    counts = [int(c) for c in args.counts.split(",")]
    sides = [side for side in args.sides.split(",") if side in SIDES]
    if args.child:
        result = asyncio.run(child_run(args.child, counts[0], args.url, args.proxy, args.warmup, args.window))
        print(orjson.dumps(result).decode())
        return
    music = make_music(args.media, 240)
    webm = music["webm"]
    print(f"demuxer alone: {demux_cost_us(webm):.1f} µs per packet (WebmOpusDemuxer.feed, 32 KiB chunks)")
    for count in counts:
        print(f"voice send alone, {count} sinks: {send_cost_us(count):.1f} µs per packet (SenderSink.send_opus)")
    print("side           N  frames  deficit ffmpegs    py%  ffmpeg%  ms/s/str  MiB/str open_ms  sources")
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    with MediaServer(webm.parent) as server, _ProxyThread() as proxy:
        for count in counts:
            for side in sides:
                url = server.url((music["mp3"] if side == "filtered" else webm).name)
                rows[side, count] = row = _run_child(args, side, count, url, proxy)
                _print(row)
    for count in counts:
        ours, theirs = rows.get(("inprocess", count)), rows.get(("ffmpeg", count))
        if ours is None or theirs is None or "error" in ours or "error" in theirs:
            continue
        cpu = theirs["cpu_ms_per_audio_s"] / max(ours["cpu_ms_per_audio_s"], 1e-9)
        memory = theirs["pss_mib_per_stream"] / max(ours["pss_mib_per_stream"], 1e-9)
        start = theirs["open_cpu_ms_per_stream"] / max(ours["open_cpu_ms_per_stream"], 1e-9)
        print(
            f"N={count}: FFmpeg passthrough per stream: {cpu:.1f}x the CPU while playing, {memory:.1f}x the memory, "
            f"{start:.1f}x the CPU to open"
        )


if __name__ == "__main__":
    main()
