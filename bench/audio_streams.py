"""Bench: concurrent audio streams one worker process sustains on one core, against FFmpeg's own ceiling.

For each mode and stream count N, two runs pinned to one core (`taskset -c CORE`):

* ceiling: N FFmpeg processes running the very same pipeline argv, but `-re` paced and writing to /dev/null; it
  holds if every process advanced at least 97 % of the measuring window (from `-progress`).
* encore: one Python process (pinned, with its FFmpeg children) opens N tracks through `SourceOpener`, plays them
  through one `Pacer` into sinks that do the real sender's work (RTP header, xchacha20-poly1305, UDP sendto); it
  holds if no guild had a frame deficit in the window.

    python -m bench.audio_streams                         # full run (several minutes)
    python -m bench.audio_streams --quick                 # a quick look
    python -m bench.audio_streams --modes filtered --counts 80,100,120 --complexity 5
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

import orjson

from bench.cpu import children_cpu_s, core_busy, core_sample, process_cpu_s
from bench.music import make_music
from bench.voice_sink import SenderSink, udp_blackhole
from shared.models import FilterChain, FilterPreset
from worker.audio.ffmpeg_args import EncoderSettings, PipelineOptions, PlaybackMode, TrackRequest, ffmpeg_argv
from worker.audio.ffmpeg_source import FFmpegSource
from worker.audio.filters import build_filter_graph
from worker.audio.opener import OpenedSource, SourceOpener
from worker.audio.pacer import Pacer
from worker.audio.stream import PlayableStream

MODES: Final = ("passthrough", "transcode", "filtered")
DEFAULT_COUNTS: Final = {
    "passthrough": (250, 500, 750, 1000),
    "transcode": (60, 80, 100, 120, 140),
    "filtered": (60, 80, 100, 120, 140),
}
QUICK_COUNTS: Final = {"passthrough": (100, 300), "transcode": (40, 80), "filtered": (40, 80)}
KEEP_UP: Final = 0.97
OPEN_CONCURRENCY: Final = 8


@dataclass(frozen=True, slots=True)
class Plan:
    mode: str
    count: int
    window_s: float
    warmup_s: float
    core: int
    media: Path
    complexity: int
    page_ms: int
    niceness: int
    pipe_bytes: int


def _stream(path: Path, *, is_opus: bool | None = None) -> PlayableStream:
    return PlayableStream(url=str(path), is_opus=is_opus, expires_at=time.time() + 3600)


def _request(plan: Plan, index: int) -> tuple[TrackRequest, PlaybackMode]:
    if plan.mode == "passthrough":
        return TrackRequest(_stream(plan.media / "music240.webm", is_opus=True), f"g{index}"), PlaybackMode.PASSTHROUGH
    chain = FilterChain(presets=(FilterPreset.BASSBOOST,)) if plan.mode == "filtered" else FilterChain()
    volume = 80 if plan.mode == "filtered" else 100
    # Staggered start positions so the streams do not all hit the same audio at once.
    start_ms = (index * 1370) % 60_000
    request = TrackRequest(
        _stream(plan.media / "music240.mp3"), f"g{index}", start_ms=start_ms, filters=chain, volume=volume
    )
    return request, PlaybackMode.TRANSCODE


def _options(plan: Plan) -> PipelineOptions:
    return PipelineOptions(
        allow_file=True,
        encoder=EncoderSettings(complexity=plan.complexity),
        page_duration_ms=plan.page_ms,
        niceness=plan.niceness,
        pipe_buffer_bytes=plan.pipe_bytes,
        ready_timeout_s=60.0,
    )


# -- the encore run (child process, pinned) ---------------------------------------------------------------------------


async def encore_run(plan: Plan) -> dict[str, Any]:
    options = _options(plan)
    opener = SourceOpener(options)
    hole = udp_blackhole()
    sinks = [SenderSink(i + 1, hole.getsockname()) for i in range(plan.count)]
    gate = asyncio.Semaphore(OPEN_CONCURRENCY)

    async def open_one(index: int) -> OpenedSource:
        request, mode = _request(plan, index)
        async with gate:
            return await opener.open(request, mode)

    opened = time.monotonic()
    sources = await asyncio.gather(*(open_one(i) for i in range(plan.count)))
    open_s = time.monotonic() - opened
    try:
        async with Pacer() as pacer:
            streams = [pacer.attach(i, sink) for i, sink in enumerate(sinks)]
            for stream, source in zip(streams, sources, strict=True):
                stream.play(source)
            await asyncio.sleep(plan.warmup_s)
            result = await _measure(plan, pacer, sources)
            result["ended_early"] = sum(1 for s in streams if s.current is None)
    finally:
        for sink in sinks:
            sink.close()
        hole.close()
    result["open_s"] = open_s
    result["count"] = plan.count
    return result


async def _measure(plan: Plan, pacer: Pacer, sources: Sequence[OpenedSource]) -> dict[str, Any]:
    pids = [s.pid for s in sources if isinstance(s, FFmpegSource) and s.pid is not None]
    pacer.counters.max_lateness_s = 0.0
    c0, core0, ff0, py0 = replace(pacer.counters), core_sample(plan.core), _cpu(pids), time.process_time()
    started = time.monotonic()
    await asyncio.sleep(plan.window_s)
    elapsed = time.monotonic() - started
    c1, core1, ff1, py1 = pacer.counters, core_sample(plan.core), _cpu(pids), time.process_time()
    ticks = max(1, c1.ticks - c0.ticks)
    return {
        "deficits": c1.deficits - c0.deficits,
        "late_ticks": c1.late_ticks - c0.late_ticks,
        "skipped_ticks": c1.skipped_ticks - c0.skipped_ticks,
        "max_late_ms": c1.max_lateness_s * 1000,
        "mean_late_ms": (c1.total_lateness_s - c0.total_lateness_s) / ticks * 1000,
        "frames_per_s": (c1.frames_sent - c0.frames_sent) / elapsed,
        "tick_busy_ms": (c1.busy_s - c0.busy_s) / ticks * 1000,
        "python_cpu": (py1 - py0) / elapsed,
        "ffmpeg_cpu": (ff1 - ff0) / elapsed,
        "core_busy": core_busy(core0, core1),
    }


def _cpu(pids: Sequence[int]) -> float:
    return sum(process_cpu_s(pid) for pid in pids)


# -- the FFmpeg-only ceiling (parent process; FFmpeg pinned) ----------------------------------------------------------


class _Progress:
    """Each FFmpeg's `-progress` reports with their arrival times; `all_started` is set once every one reported."""

    def __init__(self, count: int) -> None:
        self.latest: list[tuple[float, int] | None] = [None] * count
        self.window_start: list[tuple[float, int] | None] = [None] * count
        self.all_started = asyncio.Event()
        self._marking = False
        self._waiting = count

    def update(self, index: int, out_time_us: int) -> None:
        if self.latest[index] is None:
            self._waiting -= 1
            if self._waiting == 0:
                self.all_started.set()
        sample = (time.monotonic(), out_time_us)
        self.latest[index] = sample
        if self._marking and self.window_start[index] is None:
            self.window_start[index] = sample

    def start_window(self) -> None:
        """The next report of each process opens its window (reports come every 0.5 s, at known times)."""
        self._marking = True

    def rates(self) -> list[float]:
        """Media seconds per wall second of each process between its first and last report in the window."""
        rates = []
        for first, last in zip(self.window_start, self.latest, strict=True):
            if first is None or last is None or last[0] <= first[0]:
                rates.append(0.0)
            else:
                rates.append((last[1] - first[1]) / 1e6 / (last[0] - first[0]))
        return rates


async def ceiling_run(plan: Plan) -> dict[str, Any]:
    options = _options(plan)
    progress = _Progress(plan.count)
    procs: list[asyncio.subprocess.Process] = []
    readers: list[asyncio.Task[None]] = []
    try:
        for index in range(plan.count):
            argv = _ceiling_argv(plan, index, options)
            proc = await asyncio.create_subprocess_exec(
                *argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
            )
            procs.append(proc)
            readers.append(asyncio.create_task(_follow(proc, index, progress)))
        async with asyncio.timeout(600):
            await progress.all_started.wait()
        await asyncio.sleep(plan.warmup_s)
        return await _measure_ceiling(plan, procs, progress)
    finally:
        await _stop_all(procs, readers)


def _ceiling_argv(plan: Plan, index: int, options: PipelineOptions) -> list[str]:
    request, mode = _request(plan, index)
    graph = build_filter_graph(request.filters, request.volume) if mode is PlaybackMode.TRANSCODE else None
    argv = ffmpeg_argv(request, mode, graph, options)
    argv[argv.index("-i") : argv.index("-i")] = ["-re"]
    argv[-1] = "/dev/null"
    return ["taskset", "-c", str(plan.core), argv[0], "-y", "-nostats", "-progress", "pipe:1", *argv[1:]]


async def _follow(proc: asyncio.subprocess.Process, index: int, progress: _Progress) -> None:
    assert proc.stdout is not None
    async for line in proc.stdout:
        if line.startswith(b"out_time_us="):
            with contextlib.suppress(ValueError):
                progress.update(index, int(line[12:]))


async def _measure_ceiling(
    plan: Plan, procs: Sequence[asyncio.subprocess.Process], progress: _Progress
) -> dict[str, Any]:
    pids = [p.pid for p in procs]
    core0, ff0 = core_sample(plan.core), _cpu(pids)
    progress.start_window()
    started = time.monotonic()
    await asyncio.sleep(plan.window_s)
    elapsed = time.monotonic() - started
    rates = progress.rates()
    core1, ff1 = core_sample(plan.core), _cpu(pids)
    return {
        "min_rate": min(rates),
        "behind": sum(1 for r in rates if r < KEEP_UP),
        "audio_rate": sum(rates),
        "ffmpeg_cpu": (ff1 - ff0) / elapsed,
        "core_busy": core_busy(core0, core1),
    }


async def _stop_all(procs: Sequence[asyncio.subprocess.Process], readers: Sequence[asyncio.Task[None]]) -> None:
    for proc in procs:
        if proc.returncode is None:
            proc.kill()
    for proc in procs:
        await proc.wait()
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*readers, return_exceptions=True)


def ffmpeg_costs(plan: Plan, repeats: int = 3) -> tuple[float, float]:
    """(CPU s per track start, CPU s per stream-minute) of the pipeline unpaced on the core, from rusage."""

    def cpu_of(seconds: float) -> float:
        argv = _ceiling_argv(plan, 0, _options(plan))
        argv = [a for a in argv if a != "-re"]
        argv[-1:-1] = ["-t", f"{seconds:g}"]
        before = children_cpu_s()
        for _ in range(repeats):
            subprocess.run(argv, stdout=subprocess.DEVNULL, check=True, timeout=600)
        return (children_cpu_s() - before) / repeats

    spawn = cpu_of(0.1)
    return spawn, cpu_of(60.0) - spawn


# -- orchestration ----------------------------------------------------------------------------------------------------


def run_encore_pinned(plan: Plan) -> dict[str, Any]:
    """Run `encore_run` in a child Python pinned to the core (its FFmpeg children inherit the pinning)."""
    cmd = ["taskset", "-c", str(plan.core), sys.executable, "-m", "bench.audio_streams", "--child"]
    cmd += ["--modes", plan.mode, "--counts", str(plan.count), "--window", str(plan.window_s)]
    cmd += ["--warmup", str(plan.warmup_s), "--core", str(plan.core), "--media", str(plan.media)]
    cmd += ["--complexity", str(plan.complexity), "--page-ms", str(plan.page_ms), "--nice", str(plan.niceness)]
    cmd += ["--pipe-bytes", str(plan.pipe_bytes)]
    done = subprocess.run(cmd, capture_output=True, timeout=1800, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.decode(errors="replace").strip().splitlines()[-1:]}
    result: dict[str, Any] = orjson.loads(done.stdout.splitlines()[-1])
    return result


def _holds_ceiling(row: dict[str, Any]) -> bool:
    return "error" not in row and row["behind"] == 0


def _holds_encore(row: dict[str, Any]) -> bool:
    """Every guild got every frame on time: no deficit, no dropped tick, the full frame rate, no early end."""
    if "error" in row:
        return False
    full_rate: bool = row["frames_per_s"] >= 0.99 * 50 * row["count"]
    return full_rate and row["deficits"] == row["skipped_ticks"] == row["ended_early"] == 0


def _ceiling_cells(ceiling: dict[str, Any] | None) -> str:
    if ceiling is None:
        return f"{'-':>37}"
    if "error" in ceiling:
        return f"{'error':>37}"
    ok = "yes" if _holds_ceiling(ceiling) else f"no ({ceiling['behind']} behind)"
    return f"{ok:>15} {ceiling['min_rate']:>5.2f}x {ceiling['core_busy']:>5.0%} {_cost_ms(ceiling):>6.2f}"


def _encore_cells(encore: dict[str, Any] | None, count: int) -> str:
    if encore is None:
        return "-"
    if "error" in encore:
        return f"error: {encore['error']}"
    ok = "yes" if _holds_encore(encore) else "no"
    rate = encore["frames_per_s"] / (50 * count)
    return (
        f"{ok:>3} {rate:>6.0%} {encore['deficits']:>7} {encore['skipped_ticks']:>5} {encore['late_ticks']:>5} "
        f"{encore['max_late_ms']:>7.1f} {encore['python_cpu']:>4.0%} {encore['ffmpeg_cpu']:>7.0%} "
        f"{encore['core_busy']:>5.0%} {_cost_ms(encore):>6.2f} {encore['open_s']:>6.1f}"
    )


def _cost_ms(row: dict[str, Any]) -> float:
    """CPU ms per second of audio delivered, per stream (robust to other load on the core)."""
    if "audio_rate" in row:
        return float(row["ffmpeg_cpu"] / max(row["audio_rate"], 1e-9) * 1000)
    audio_rate = row["frames_per_s"] / 50
    return float((row["python_cpu"] + row["ffmpeg_cpu"]) / max(audio_rate, 1e-9) * 1000)


def _print_row(mode: str, count: int, ceiling: dict[str, Any] | None, encore: dict[str, Any] | None) -> None:
    print(f"{mode:<11} | {count:>5} | {_ceiling_cells(ceiling)} | {_encore_cells(encore, count)}", flush=True)


HEADER: Final = (
    "mode        |     N |  ffmpeg -re: keeps up  min  core  ms/s | "
    "encore: ok frames deficit  skip  late maxlate  py%  ffmpeg% core%   ms/s open_s"
)
LEGEND: Final = """\
  min: slowest FFmpeg's media-seconds per second; frames: frames sent / (N x 50/s); deficit: ticks a guild had no
  frame; skip: ticks dropped after a stall; late: ticks >= 20 ms late; maxlate: ms; py%/ffmpeg%: CPU of one core;
  core%: whole core busy (other machine load included); ms/s: CPU ms per second of audio per stream (py + ffmpeg)"""


def _print_background(core: int) -> None:
    """Other processes' load on the core just before a step (the bench cannot tell them apart later)."""
    before = core_sample(core)
    time.sleep(1.0)
    busy = core_busy(before, core_sample(core))
    if busy > 0.05:
        print(f"  (core {core} was {busy:.0%} busy with other work before this step)", flush=True)


@dataclass(slots=True)
class RampResult:
    best_ceiling: int = 0
    best_encore: int = 0
    ceiling_cost_ms: float | None = None
    encore_cost_ms: float | None = None


def ramp(base: Plan, counts: Sequence[int], *, with_ceiling: bool = True) -> RampResult:
    """Run both sides at increasing N until both stop holding; keep the highest N each sustained."""
    result = RampResult()
    ceiling_failed, encore_failed = not with_ceiling, False
    for count in counts:
        plan = replace(base, count=count)
        _print_background(plan.core)
        ceiling = None if ceiling_failed else asyncio.run(ceiling_run(plan))
        encore = None if encore_failed else run_encore_pinned(plan)
        _print_row(plan.mode, count, ceiling, encore)
        if ceiling is not None and "error" not in ceiling:
            result.ceiling_cost_ms = _cost_ms(ceiling)
        if encore is not None and "error" not in encore:
            result.encore_cost_ms = _cost_ms(encore)
        if ceiling is not None:
            ceiling_failed = not _holds_ceiling(ceiling)
            result.best_ceiling = count if not ceiling_failed else result.best_ceiling
        if encore is not None:
            encore_failed = not _holds_encore(encore)
            result.best_encore = count if not encore_failed else result.best_encore
        if (ceiling_failed or not with_ceiling) and encore_failed:
            break
    return result


def _summarize(mode: str, spawn: float, per_min: float, result: RampResult) -> None:
    best_c, best_e = result.best_ceiling, result.best_encore
    ratio = f"{best_e / best_c:.0%}" if best_c else "n/a"
    print(f"{mode}: sustained with zero deficit: ffmpeg -re {best_c or '<min'}, encore {best_e or '<min'} ({ratio})")
    if result.encore_cost_ms:
        encore = 1000 / result.encore_cost_ms
        line = (
            f"  CPU-derived streams/core (last step): encore {encore:.0f} ({result.encore_cost_ms:.2f} CPU ms/s each)"
        )
        if result.ceiling_cost_ms:
            ceiling = 1000 / result.ceiling_cost_ms
            line += f", ffmpeg -re {ceiling:.0f} ({result.ceiling_cost_ms:.2f}); ratio {encore / ceiling:.0%}"
        print(line)
    capacity = f"{60 / per_min:.0f}" if per_min > 0.001 else "> 60000 (below measurement noise)"
    print(
        f"  ffmpeg alone, unpaced: {max(per_min, 0.0):.3f} CPU s per stream-minute = {capacity} streams/core; "
        f"{spawn * 1000:.0f} ms CPU per track start"
    )


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--modes", default="passthrough,filtered", help=f"comma-separated, from {', '.join(MODES)}")
    p.add_argument("--counts", help="comma-separated stream counts (default: per mode)")
    p.add_argument("--window", type=float, default=10.0, help="measuring window, seconds")
    p.add_argument("--warmup", type=float, default=3.0, help="seconds between start and measuring")
    p.add_argument("--core", type=int, default=0)
    p.add_argument("--media", type=Path, default=Path("/tmp/encore-bench-media"))
    p.add_argument("--complexity", type=int, default=EncoderSettings().complexity, help="libopus complexity 0-10")
    p.add_argument("--page-ms", type=int, default=PipelineOptions().page_duration_ms, help="Ogg page duration")
    p.add_argument("--nice", type=int, default=PipelineOptions().niceness, help="niceness added to each FFmpeg")
    p.add_argument("--pipe-bytes", type=int, default=PipelineOptions().pipe_buffer_bytes, help="FFmpeg pipe size")
    p.add_argument("--skip-ceiling", action="store_true", help="run only the encore side")
    p.add_argument("--quick", action="store_true", help="small counts, 5 s windows")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = _parse(argv)
    modes = [m for m in args.modes.split(",") if m]
    if any(m not in MODES for m in modes):
        raise SystemExit(f"unknown mode in {args.modes!r}")
    window = 5.0 if args.quick and args.window == 10.0 else args.window
    base = Plan(
        modes[0],
        0,
        window,
        args.warmup,
        args.core,
        args.media,
        args.complexity,
        args.page_ms,
        args.nice,
        args.pipe_bytes,
    )
    if args.child:
        print(orjson.dumps(asyncio.run(encore_run(replace(base, count=int(args.counts))))).decode())
        return
    if len(os.sched_getaffinity(0)) > 1:
        # Keep the orchestrator (and its progress readers) off the measured core.
        os.sched_setaffinity(0, os.sched_getaffinity(0) - {args.core})
    make_music(args.media, 240)
    print(
        f"core {args.core}, window {window:g} s, libopus complexity {args.complexity}, page {args.page_ms} ms, "
        f"pipe {args.pipe_bytes} B, ffmpeg nice +{args.nice}"
    )
    print(HEADER)
    print(LEGEND)
    summary = []
    for mode in modes:
        table = QUICK_COUNTS if args.quick else DEFAULT_COUNTS
        counts = [int(c) for c in args.counts.split(",")] if args.counts else list(table[mode])
        spawn, per_min = ffmpeg_costs(replace(base, mode=mode))
        summary.append(
            (mode, spawn, per_min, ramp(replace(base, mode=mode), counts, with_ceiling=not args.skip_ceiling))
        )
    print()
    for mode, spawn, per_min, ramped in summary:
        _summarize(mode, spawn, per_min, ramped)


if __name__ == "__main__":
    main()
