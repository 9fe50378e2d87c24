"""What /proc says about processes on this machine: whether one exists, and the direct children of one.

Zombies count: a child that exited but was not reaped is still a child (with no command line), which is what the
leak checks look for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ChildProcess:
    pid: int
    name: str
    """The kernel's short name (`comm`), e.g. "ffmpeg"."""
    state: str
    """One letter: R running, S sleeping, Z zombie, ..."""
    argv: tuple[str, ...]
    """Empty for a zombie."""


def process_exists(pid: int) -> bool:
    """True while `pid` exists, zombies included."""
    return Path(f"/proc/{pid}").exists()


def children(parent: int) -> list[ChildProcess]:
    """The direct children of `parent`; a process that ends while it is read is left out."""
    found: list[ChildProcess] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        state, ppid = stat[stat.rindex(")") + 2 :].split()[:2]
        if int(ppid) == parent:
            argv = tuple(part.decode() for part in cmdline.split(b"\0") if part)
            found.append(ChildProcess(int(entry.name), name, state, argv))
    return found
