"""CPU accounting for the benchmarks: a process's and this process's children's CPU seconds, a core's busy share."""

from __future__ import annotations

import os
import resource
from dataclasses import dataclass
from pathlib import Path
from typing import Final

CLOCK_TICK: Final = os.sysconf("SC_CLK_TCK")


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (0 if it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICK


def children_cpu_s() -> float:
    """User + system CPU seconds of this process's children that have been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True, slots=True)
class CoreSample:
    busy: float
    total: float


def core_sample(core: int) -> CoreSample:
    """Cumulative busy and total jiffies of one CPU core."""
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith(f"cpu{core} "):
            values = [int(v) for v in line.split()[1:]]
            idle = values[3] + values[4]
            return CoreSample(busy=sum(values) - idle, total=sum(values))
    raise ValueError(f"no cpu{core} in /proc/stat")


def core_busy(before: CoreSample, after: CoreSample) -> float:
    total = after.total - before.total
    return (after.busy - before.busy) / total if total else 0.0
