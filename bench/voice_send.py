"""Bench: one voice packet's send, nextcord's own against the worker's `RtpSender`, in the same run.

Two figures per side, for 20 voice connections (a worker's guilds) sending into a loopback black hole:

* µs per packet on an idle interpreter (RTP header, xchacha20-poly1305, UDP sendto);
* a frame tick of the 20 sends while another thread runs Python flat out (an event loop busy with a takeover):
  p50 and p99 of the tick's duration. nextcord's send lets go of the GIL twice per packet and waits out the
  switch interval to get it back; `RtpSender` keeps it.

    PYTHONPATH=. .venv/bin/python -m bench.voice_send
"""

from __future__ import annotations

import argparse
import os
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, cast

from nextcord.voice_client import VoiceClient

from bench.stats import percentile
from bench.voice_sink import udp_blackhole
from worker.voice.rtp import RTP_MODE, RtpSender

CONNECTIONS = 20
FRAME = os.urandom(160)


class _Connection:
    """The fields nextcord's send reads, on one UDP socket."""

    def __init__(self, ssrc: int, target: tuple[str, int]) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.setblocking(False)
        self.endpoint_ip, self.voice_port = target
        self.secret_key = list(os.urandom(32))
        self.ssrc, self.sequence, self.timestamp, self._incr_nonce = ssrc, 0, 0, 0
        self.mode, self.e2ee_state, self.rtp = RTP_MODE, None, RtpSender()

    checked_add = VoiceClient.checked_add
    _get_voice_packet = VoiceClient._get_voice_packet
    _encrypt_aead_xchacha20_poly1305_rtpsize = VoiceClient._encrypt_aead_xchacha20_poly1305_rtpsize

    def stock(self) -> None:
        VoiceClient.send_audio_packet(cast(Any, self), FRAME, encode=False)

    def ours(self) -> None:
        self.sequence = (self.sequence + 1) & 0xFFFF
        address = (self.endpoint_ip, self.voice_port)
        self.rtp.send(self.socket, address, self.secret_key, (self.sequence, self.timestamp, self.ssrc),
                      self._incr_nonce, FRAME)  # fmt: skip
        self._incr_nonce += 1
        self.timestamp += 960


def _idle_us(sends: list[Callable[[], None]], rounds: int) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        for send in sends:
            send()
    return (time.perf_counter() - started) / (rounds * len(sends)) * 1e6


def _busy_ticks_ms(sends: list[Callable[[], None]], ticks: int) -> list[float]:
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            sum(range(100))

    spinner = threading.Thread(target=spin, daemon=True)
    spinner.start()
    durations = []
    try:
        for _ in range(ticks):
            time.sleep(0.02)
            started = time.perf_counter()
            for send in sends:
                send()
            durations.append((time.perf_counter() - started) * 1000)
    finally:
        stop.set()
        spinner.join()
    return durations


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--ticks", type=int, default=100)
    args = parser.parse_args()
    hole = udp_blackhole()
    connections = [_Connection(n + 1, hole.getsockname()) for n in range(CONNECTIONS)]
    sides = {"nextcord": [c.stock for c in connections], "RtpSender": [c.ours for c in connections]}
    idle = {name: _idle_us(sends, args.rounds) for name, sends in sides.items()}
    busy = {name: _busy_ticks_ms(sends, args.ticks) for name, sends in sides.items()}
    print(f"{CONNECTIONS} connections, {len(FRAME)}-byte frames, into a loopback black hole")
    for name in sides:
        ticks = busy[name]
        print(f"{name:>10}: idle {idle[name]:5.2f} µs per packet; tick of {CONNECTIONS} sends with a busy thread: "
              f"p50 {percentile(ticks, 0.5):6.2f} ms, p99 {percentile(ticks, 0.99):6.2f} ms")  # fmt: skip
    print(f"ratio nextcord / RtpSender: idle {idle['nextcord'] / idle['RtpSender']:.2f}x, busy tick p50 "
          f"{percentile(busy['nextcord'], 0.5) / percentile(busy['RtpSender'], 0.5):.0f}x")  # fmt: skip
    hole.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
