"""What the soak looks at besides the listeners: the workers' frame clocks and the kernel's UDP drops.

A guild of a *surviving* worker that goes silent during a takeover is either its worker's fault (the frame clock
ran late or dropped ticks: `encore_pacer_*` on /metrics) or the fake Discord's (its receiving thread fell behind
and the kernel dropped datagrams: `RcvbufErrors` in /proc/net/snmp, or it stamped arrivals late).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

WATCHED = (
    "encore_pacer_late_ticks_total",
    "encore_pacer_skipped_ticks_total",
    "encore_frame_deficit_frames_total",
)
_SAMPLE = re.compile(r"^(encore_[a-z_]+)(?:\{[^}]*\})? ([0-9.eE+-]+)$", re.MULTILINE)


@dataclass
class WorkerClock:
    """One surviving worker's counter increments over one takeover window."""

    late_ticks: float = 0.0
    skipped_ticks: float = 0.0
    deficits: float = 0.0


@dataclass
class Window:
    """One kill: what the survivors' guilds heard and what the survivors, the fake and the kernel reported."""

    gaps: int
    udp_drops: int
    clocks: dict[str, WorkerClock] = field(default_factory=dict)
    fake_loop_stall_s: float = 0.0
    """The longest the soak's own event loop (the fake Discord's) was blocked in the window."""


async def scrape(session: aiohttp.ClientSession, port: int) -> dict[str, float]:
    """The watched counters of the worker serving /metrics on `port` (empty if it does not answer)."""
    try:
        async with session.get(f"http://127.0.0.1:{port}/metrics", timeout=aiohttp.ClientTimeout(total=5)) as reply:
            text = await reply.text()
    except (aiohttp.ClientError, TimeoutError):
        return {}
    return {name: float(value) for name, value in _SAMPLE.findall(text) if name in WATCHED}


async def scrape_all(session: aiohttp.ClientSession, ports: Mapping[str, int]) -> dict[str, dict[str, float]]:
    names = sorted(ports)
    samples = await asyncio.gather(*(scrape(session, ports[name]) for name in names))
    return dict(zip(names, samples, strict=True))


def clock_deltas(before: dict[str, dict[str, float]], after: dict[str, dict[str, float]]) -> dict[str, WorkerClock]:
    deltas = {}
    for name, start in before.items():
        end = after.get(name)
        if not start or not end:
            continue
        deltas[name] = WorkerClock(*(end[metric] - start[metric] for metric in WATCHED))
    return deltas


def udp_receive_drops(snmp: Path = Path("/proc/net/snmp")) -> int:
    """Datagrams the kernel dropped for full receive buffers, machine-wide (0 where /proc is not Linux's)."""
    try:
        lines = [line.split() for line in snmp.read_text().splitlines() if line.startswith("Udp:")]
    except OSError:
        return 0
    if len(lines) < 2 or "RcvbufErrors" not in lines[0]:
        return 0
    return int(lines[1][lines[0].index("RcvbufErrors")])


def summarize(windows: list[Window]) -> list[str]:
    """Lines that relate the survivors' silences to their frame clocks and to UDP drops."""
    with_gaps = [w for w in windows if w.gaps]
    stalled = [w for w in windows if any(c.skipped_ticks or c.late_ticks for c in w.clocks.values())]
    both = [w for w in with_gaps if w in stalled]
    dropped = [w for w in with_gaps if w.udp_drops]
    late = sum(c.late_ticks for w in windows for c in w.clocks.values())
    skipped = sum(c.skipped_ticks for w in windows for c in w.clocks.values())
    deficits = sum(c.deficits for w in windows for c in w.clocks.values())
    stalls = sorted(w.fake_loop_stall_s for w in windows)
    return [
        f"the fake Discord's event loop, longest stall per window: median {stalls[len(stalls) // 2] * 1000:.0f} ms, "
        f"max {stalls[-1] * 1000:.0f} ms"
        if stalls
        else "no windows",
        f"takeover windows: {len(windows)}, with survivors' guilds silent: {len(with_gaps)} "
        f"({sum(w.gaps for w in windows)} guild gaps)",
        f"survivors' frame clocks over all windows: {late:.0f} late ticks, {skipped:.0f} skipped ticks, "
        f"{deficits:.0f} frame deficits; windows with a late or skipped tick: {len(stalled)}",
        f"windows with gaps whose survivors' clocks were late or skipped: {len(both)} of {len(with_gaps)}; "
        f"with kernel UDP receive drops: {len(dropped)} of {len(with_gaps)} "
        f"({sum(w.udp_drops for w in windows)} datagrams dropped in all windows)",
    ]
