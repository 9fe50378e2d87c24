"""The voice sender (worker/voice/rtp.py): nextcord's packet byte for byte, and a send that keeps the GIL."""

from __future__ import annotations

import os
import socket
import ssl
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import aiohttp
import pytest
from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_decrypt
from nextcord.voice_client import VoiceClient

from worker.audio.frames import SILENCE_FRAME
from worker.voice.nextcord_adapter import WorkerVoiceClient, build_voice_connection
from worker.voice.rtp import MAX_FRAME, RtpSender

KEY = list(os.urandom(32))


@pytest.fixture
def receiver() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(2.0)
    yield sock
    sock.close()


async def _nowhere(_channel_id: int | None, _request_id: str) -> None:
    return None


@pytest.fixture
async def client(receiver: socket.socket) -> AsyncIterator[WorkerVoiceClient]:
    async with aiohttp.ClientSession() as http:
        session = build_voice_connection(
            http_session=http, ssl_context=ssl.create_default_context(), guild_id=1, request_voice_state=_nowhere
        )
        voice = cast(Any, session)._transport._client
        assert isinstance(voice, WorkerVoiceClient)
        voice.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        voice.socket.setblocking(False)
        voice.endpoint_ip, voice.voice_port = receiver.getsockname()
        voice.secret_key, voice.ssrc, voice.e2ee_state = KEY, 4321, None
        voice.mode = "aead_xchacha20_poly1305_rtpsize"
        yield voice
        voice.close_socket()


def _counters(voice: VoiceClient, sequence: int, timestamp: int, nonce: int) -> None:
    voice.sequence, voice.timestamp, voice._incr_nonce = sequence, timestamp, nonce


FRAMES = [os.urandom(n) for n in (3, 120, 400)]


def test_the_packet_is_the_one_nextcord_builds(client: WorkerVoiceClient, receiver: socket.socket) -> None:
    # Counters next to their wrap points: the sequence wraps after 65535, the timestamp after 2**32 - 1.
    _counters(client, 65534, 2**32 - 960, 2**32 - 2)
    for frame in FRAMES:
        client.send_audio_packet(frame, encode=False)
    ours = [receiver.recv(2048) for _ in FRAMES]
    after = (client.sequence, client.timestamp, client._incr_nonce)
    _counters(client, 65534, 2**32 - 960, 2**32 - 2)
    for frame in FRAMES:
        VoiceClient.send_audio_packet(client, frame, encode=False)  # nextcord's own: voice_client.py:645-675
    theirs = [receiver.recv(2048) for _ in FRAMES]
    assert ours == theirs
    assert after == (client.sequence, client.timestamp, client._incr_nonce) == (1, 1920, 1)
    sealed = ours[1]
    opened = crypto_aead_xchacha20poly1305_ietf_decrypt(sealed[12:-4], sealed[:12], sealed[-4:] + bytes(20), bytes(KEY))
    assert opened == FRAMES[1]


@dataclass
class TaggingE2EE:
    """DAVE as the sender sees it: can_encrypt, then encrypt (None when it refuses)."""

    refuse: bool = False
    seen: list[bytes] = field(default_factory=list)

    def can_encrypt(self) -> bool:
        return True

    def encrypt(self, data: bytes) -> bytes | None:
        self.seen.append(data)
        return None if self.refuse else b"DAVE" + data


def _open(packet: bytes) -> bytes:
    return crypto_aead_xchacha20poly1305_ietf_decrypt(packet[12:-4], packet[:12], packet[-4:] + bytes(20), bytes(KEY))


def test_media_is_dave_encrypted_and_silence_is_not(client: WorkerVoiceClient, receiver: socket.socket) -> None:
    e2ee = TaggingE2EE()
    client.e2ee_state = cast(Any, e2ee)
    client.send_audio_packet(b"music", encode=False)
    client.send_audio_packet(SILENCE_FRAME, encode=False)
    assert [_open(receiver.recv(2048)) for _ in range(2)] == [b"DAVEmusic", SILENCE_FRAME]
    assert e2ee.seen == [b"music"]


async def test_a_refused_or_unsendable_frame_is_dropped_not_raised(client: WorkerVoiceClient) -> None:
    session = build_voice_connection(
        http_session=cast(Any, None), ssl_context=ssl.create_default_context(), guild_id=1, request_voice_state=_nowhere
    )
    transport = cast(Any, session)._transport
    transport._client = client
    client.e2ee_state = cast(Any, TaggingE2EE(refuse=True))
    assert transport.send_opus(b"music") is False
    client.e2ee_state = None
    assert transport.send_opus(b"x" * (MAX_FRAME + 1)) is False
    client.socket.close()
    assert transport.send_opus(b"music") is False, "a closed socket (fd -1) is a dropped frame"
    assert transport.send_opus(b"music") is False


class _Busy:
    """A thread running Python flat out, as a loop busy with a takeover does; counts how often it got the GIL."""

    def __init__(self) -> None:
        self.count = 0
        self._stop = False
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop:
            self.count += 1

    def __enter__(self) -> _Busy:
        self._thread.start()
        while self.count == 0:
            pass
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop = True
        self._thread.join()


def test_a_send_keeps_the_gil(receiver: socket.socket) -> None:
    """With a busy thread wanting the interpreter, the sender's ten sends go out in one piece; socket.sendto lets
    the other thread in at every call (and then waits out the switch interval to get the GIL back)."""
    sender = RtpSender()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    target = receiver.getsockname()
    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.2)  # forced switches so rare that ten sends never meet one
    try:
        with _Busy() as busy:
            ran_during_ours = []
            for burst in range(5):
                before = busy.count
                for n in range(10):
                    sender.send(sock, target, KEY, (burst * 10 + n, 0, 1), n, b"frame")
                ran_during_ours.append(busy.count - before)
            sys.setswitchinterval(interval)
            before = busy.count
            for _ in range(50):
                sock.sendto(b"frame", target)
            ran_during_stock = busy.count - before
    finally:
        sys.setswitchinterval(interval)
        sock.close()
    assert ran_during_ours == [0] * 5
    assert ran_during_stock > 0, "the comparison shows what a release looks like"
