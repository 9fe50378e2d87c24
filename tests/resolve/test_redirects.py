"""Stream URLs are followed through their redirects by the guarded HTTP stack before FFmpeg ever sees them."""

from __future__ import annotations

import pytest
from yt_dlp.utils import YoutubeDLError

from tests.media.server import MediaServer
from worker.resolve.service import ResolveService


async def test_redirects_end_at_the_final_url(service: ResolveService, media_server: MediaServer) -> None:
    target = media_server.url("media/tone3_440hz.mp3")
    hop = media_server.url(f"redirect?to={target}")
    twice = media_server.url(f"redirect?to={hop}")
    assert await service.parts.ytdlp.final_url(twice, {}) == target


@pytest.mark.parametrize(
    "target", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.8/a.mp3", "http://[::1]:6379/"]
)
async def test_a_redirect_to_a_private_address_is_refused(
    service: ResolveService, media_server: MediaServer, target: str
) -> None:
    with pytest.raises((YoutubeDLError, OSError)):
        await service.parts.ytdlp.final_url(media_server.url(f"redirect?to={target}"), {})
