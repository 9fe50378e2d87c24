"""The yt-dlp boundary's own guards: the connected address is checked, file URLs never open."""

from __future__ import annotations

import http.client

import pytest
from yt_dlp.utils import YoutubeDLError

from shared.failures import Problem, ProblemKind, Refusal
from tests.media.server import MediaServer
from worker.resolve.failures import GuardRefusedError, classify
from worker.resolve.guard import UrlGuard
from worker.resolve.service import ResolveService
from worker.resolve.ytdlp import _guarded_connection


def test_the_connected_peer_is_checked_before_a_request_is_sent(media_server: MediaServer) -> None:
    refused = _guarded_connection(UrlGuard(()), http.client.HTTPConnection, None, "127.0.0.1", media_server.port)
    with pytest.raises(GuardRefusedError, match="loopback"):
        refused.connect()
    guard = UrlGuard(("127.0.0.1",))
    allowed = _guarded_connection(guard, http.client.HTTPConnection, None, "127.0.0.1", media_server.port)
    allowed.connect()
    allowed.close()


async def test_yt_dlp_cannot_open_local_files(service: ResolveService) -> None:
    with pytest.raises(YoutubeDLError) as caught:
        await service.parts.ytdlp.extract("file:///etc/passwd", first=1, cap=1)
    assert 'Unsupported url scheme: "file"' in str(caught.value)


async def test_yt_dlp_requests_pass_the_guard(service: ResolveService) -> None:
    with pytest.raises(YoutubeDLError) as caught:
        await service.parts.ytdlp.extract("http://10.0.0.1/a.mp3", first=1, cap=1)
    assert classify(caught.value) == (Problem(kind=ProblemKind.REFUSED, refusal=Refusal.PRIVATE), "private (10.0.0.1)")
