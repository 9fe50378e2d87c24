"""Records every connect() FFmpeg and ffprobe make, by running them under strace from wrappers put first on PATH.

tests/netguard.py only sees sockets of the test process; FFmpeg and ffprobe are subprocesses. `ConnectTrace.install`
writes `ffmpeg` and `ffprobe` scripts that exec the real binaries under `strace -f -e trace=connect`, so code that
starts them by name (encore's defaults) is traced without being told. `outside()` lists the connects to addresses
that are not loopback and every connect to port 53 (a DNS query): a hostile redirect must cause none.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shutil
from pathlib import Path
from typing import Final

import pytest

_INET: Final = re.compile(r'sin6?_port=htons\((\d+)\).*?(?:inet_addr\("([^"]+)"\)|inet_pton\(AF_INET6, "([^"]+)")')
BINARIES: Final = ("ffmpeg", "ffprobe")


class ConnectTrace:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._logs = directory / "logs"

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        strace = shutil.which("strace")
        if strace is None:
            pytest.fail("strace is needed to watch FFmpeg's connections")
        self._logs.mkdir(parents=True, exist_ok=True)
        bin_dir = self.directory / "bin"
        bin_dir.mkdir(exist_ok=True)
        for name in BINARIES:
            real = shutil.which(name)
            assert real is not None, f"{name} is not installed"
            script = bin_dir / name
            log = self._logs / name
            script.write_text(f'#!/bin/sh\nexec {strace} -f -qq -ff -e trace=connect -o {log} {real} "$@"\n')
            script.chmod(0o755)
        monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ.get('PATH', '')}")

    def connects(self) -> list[tuple[str, int]]:
        found: list[tuple[str, int]] = []
        for log in sorted(self._logs.glob("*")):
            for line in log.read_text(errors="replace").splitlines():
                match = _INET.search(line) if "connect(" in line else None
                if match is not None:
                    found.append((match.group(2) or match.group(3), int(match.group(1))))
        return found

    def outside(self) -> list[tuple[str, int]]:
        """Connects to non-loopback addresses, and DNS queries (port 53) wherever they went."""
        return [(host, port) for host, port in self.connects() if port == 53 or not _loopback(host)]


def _loopback(host: str) -> bool:
    ip = ipaddress.ip_address(host)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback
