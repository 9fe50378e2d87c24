"""Arrival times as the fake Discord keeps them: stamped by the kernel, held in order, read by range."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from localdiscord.voice.capture import HeardAudio, PcmChunk
from localdiscord.voice.udp_clock import RECEIVE_BUFFER_BYTES, prepare_receiver, receive_stamped


def _pair() -> tuple[socket.socket, socket.socket]:
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.connect(receiver.getsockname())
    return receiver, sender


def test_a_datagram_read_late_keeps_its_arrival_time() -> None:
    receiver, sender = _pair()
    with receiver, sender:
        assert prepare_receiver(receiver)
        sent = time.monotonic()
        sender.send(b"\x80\x78frame")
        time.sleep(0.3)  # the reader is busy (in the fake: waiting for the GIL)
        data, source, arrival = receive_stamped(receiver)
        read = time.monotonic()
        assert source == sender.getsockname()
    assert data == b"\x80\x78frame"
    assert read - arrival >= 0.25
    assert sent - 0.05 <= arrival <= read


def test_the_receive_buffer_holds_a_burst_the_default_would_drop() -> None:
    receiver, sender = _pair()
    with receiver, sender:
        prepare_receiver(receiver)
        assert receiver.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) >= min(
            RECEIVE_BUFFER_BYTES, int(Path("/proc/sys/net/core/rmem_max").read_text())
        )
        frames = 3000  # a second of 60 guilds' audio, unread
        for _ in range(frames):
            sender.send(b"\x00" * 120)
        receiver.settimeout(0.5)
        got = 0
        try:
            while True:
                receiver.recv(2048)
                got += 1
        except TimeoutError:
            pass
    assert got == frames


def test_heard_audio_stays_in_arrival_order_and_ranges_are_exact() -> None:
    heard = HeardAudio(listener_id=1, speaker_id=2)
    for at in (1.0, 2.0, 4.0, 3.0, 5.0, 0.5):  # a latency fault delivers some frames late
        heard.add(PcmChunk(at, bytes(3840)))
    assert [c.at for c in heard.chunks] == [0.5, 1.0, 2.0, 3.0, 4.0, 5.0]
    assert [c.at for c in heard.between(2.0, 4.0)] == [2.0, 3.0]
    assert [c.at for c in heard.between(4.5)] == [5.0]
    assert [c.at for c in heard.between(None, 1.0)] == [0.5]
    assert heard.seconds(1.0, 5.0) == 4 * 0.02
    assert heard.pcm(3.0, 3.5) == bytes(3840)
