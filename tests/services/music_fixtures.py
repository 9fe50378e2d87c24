"""Session fixtures for link mirroring (listed in tests/conftest.py's `pytest_plugins`): the generated catalogue
with its search index on the media server, and the fake music services fed by it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

import pytest

from shared.codec import dumps
from tests.media.catalogue import Catalogue, generate
from tests.media.server import MediaServer
from tests.media.tones import CATALOG
from tests.services.music_services import Collection, FakeMusicServices
from tests.services.music_shapes import spotify_id

CATALOGUE_SIZE: Final = 1200
INDEX_PATH: Final = "mirror/index.json"
"""Where the catalogue's search index is served (`localsearch:index`, or LOCALSEARCH_INDEX for workers)."""
AUDIO: Final = CATALOG[0].file
"""Every catalogue upload plays this tone of the media library (5 s)."""
PLAYLIST_SIZES: Final = (5, 150, 250, 1000)


def playlist_id(size: int) -> str:
    """The Spotify id of the playlist of the catalogue's first `size` tracks."""
    return f"{size:022d}".replace("0", "P", 1)


@pytest.fixture(scope="session")
def catalogue(media_server: MediaServer) -> Catalogue:
    made = generate(CATALOGUE_SIZE, base=media_server.base, audio=AUDIO)
    index = media_server.root / INDEX_PATH
    index.parent.mkdir(parents=True, exist_ok=True)
    index.write_bytes(dumps(made.index))
    return made


def fill(fake: FakeMusicServices) -> FakeMusicServices:
    """The collections every mirror test can use: per size in PLAYLIST_SIZES a Spotify playlist (`playlist_id`),
    an Apple playlist `pl.encore<size:08d>` and a Deezer playlist `900000 + size`; a 12-track album on each
    service, and an artist whose top tracks Spotify knows."""
    for size in PLAYLIST_SIZES:
        numbers = list(range(size))
        fake.spotify["playlist"][playlist_id(size)] = Collection(f"Spotify list {size}", numbers)
        fake.apple["playlist"][f"pl.encore{size:08d}"] = Collection(f"Apple list {size}", numbers)
        fake.deezer["playlist"][str(900_000 + size)] = Collection(f"Deezer list {size}", numbers)
    fake.spotify["album"][spotify_id(777)] = Collection("Spotify Album", list(range(100, 112)))
    fake.spotify["artist"][spotify_id(888)] = Collection("Ada Vance", list(range(200, 215)))
    fake.apple["album"]["7770001"] = Collection("Apple Album", list(range(100, 112)))
    fake.deezer["album"]["7770002"] = Collection("Deezer Album", list(range(100, 112)))
    return fake


@pytest.fixture
def music(catalogue: Catalogue) -> Iterator[FakeMusicServices]:
    with fill(FakeMusicServices(catalogue)) as fake:
        yield fake
