"""Session fixtures for offline media: the loopback media server with the generated library, and the yt-dlp plugins.

Importing this module (it is listed in tests/conftest.py's `pytest_plugins`) puts tests/ytdlp_plugins on sys.path,
so the first YoutubeDL of the session loads the `localsearch`, `localpaged`, `localyoutube` and `localtube` extractors.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from tests.media.library import PLUGIN_DIR, write_library
from tests.media.server import MediaServer

PLAYLIST_ITEMS = 5000

if str(PLUGIN_DIR) not in sys.path:
    sys.path.insert(0, str(PLUGIN_DIR))


@pytest.fixture(scope="session")
def media_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MediaServer]:
    """Tones in six codecs, 5,000-entry RSS and XSPF, HTML pages, M3U/PLS, a search index, paged sources."""
    root = tmp_path_factory.mktemp("media")
    server = MediaServer(root).start()
    try:
        write_library(root, server.base, PLAYLIST_ITEMS)
        yield server
    finally:
        server.stop()
