"""Bench helpers for audio: synthetic music files, a sender-cost sink, CPU accounting from /proc."""

from __future__ import annotations

import os
import socket
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_encrypt

CLOCK_TICK: Final = os.sysconf("SC_CLK_TCK")
_RTP: Final = struct.Struct(">BBHII")

# A chord with slow amplitude modulation plus pink noise: costs the encoder about what music does (a bare sine is
# much cheaper to encode than real material).
_CHORD: Final = (
    "aevalsrc='0.25*sin(2*PI*220*t)*(1+0.5*sin(2*PI*0.3*t))+0.15*sin(2*PI*277.2*t)+0.15*sin(2*PI*329.6*t)"
    "+0.1*sin(2*PI*880*t)*sin(2*PI*3*t)|0.25*sin(2*PI*220*t)*(1+0.5*cos(2*PI*0.3*t))+0.15*sin(2*PI*277.2*t)"
    "+0.15*sin(2*PI*415.3*t)+0.1*sin(2*PI*660*t)*sin(2*PI*2*t)':s=48000:d={d}"
)


def make_media(root: Path, seconds: int) -> dict[str, Path]:
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


class SenderSink:
    """What a real voice sender does per frame, minus DAVE: RTP header, xchacha20-poly1305 AEAD, UDP sendto."""

    def __init__(self, ssrc: int, target: tuple[str, int]) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.setblocking(False)
        self._target = target
        self._key = os.urandom(32)
        self._ssrc = ssrc
        self._seq = 0
        self._timestamp = 0
        self._nonce = 0
        self.bytes_sent = 0
        self.send_errors = 0

    def send_opus(self, packet: bytes) -> None:
        self._seq = (self._seq + 1) & 0xFFFF
        header = _RTP.pack(0x80, 0x78, self._seq, self._timestamp, self._ssrc)
        self._timestamp = (self._timestamp + 960) & 0xFFFFFFFF
        self._nonce = (self._nonce + 1) & 0xFFFFFFFF
        nonce4 = self._nonce.to_bytes(4, "big")
        sealed = crypto_aead_xchacha20poly1305_ietf_encrypt(packet, header, nonce4 + bytes(20), self._key)
        try:
            self.bytes_sent += self._sock.sendto(header + sealed + nonce4, self._target)
        except BlockingIOError:
            self.send_errors += 1

    def set_speaking(self, on: bool) -> None:
        pass

    def close(self) -> None:
        self._sock.close()


def udp_blackhole() -> socket.socket:
    """A bound UDP socket nobody reads: the kernel drops what overflows it, like a remote server would absorb it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process (0 if it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICK


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
