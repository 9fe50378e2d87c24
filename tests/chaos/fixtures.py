"""The chaos media (tests/chaos/media.py), served once per session; registered in tests/conftest.py, for the chaos and
the metric tests alike."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.chaos.media import ChaosMedia, make_chaos_media, media_process


@pytest.fixture(scope="session")
def chaos_media(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChaosMedia]:
    root = tmp_path_factory.mktemp("chaos-media")
    make_chaos_media(root)
    with media_process(root) as base:
        yield ChaosMedia(base)
