"""Every form of a Spotify, Apple Music or Deezer link members paste, and the bad ones."""

from __future__ import annotations

import pytest

from shared.models import MirrorService
from worker.resolve.mirror.links import MalformedLink, MirrorLink, ShortLink, UnsupportedLink, parse

SP = MirrorService.SPOTIFY
AP = MirrorService.APPLE
DZ = MirrorService.DEEZER
TRACK_ID = "4uLU6hMCjMI75M1A2tKUQC"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"https://open.spotify.com/track/{TRACK_ID}", MirrorLink(SP, "track", TRACK_ID)),
        (f"https://open.spotify.com/track/{TRACK_ID}?si=abc123&utm_source=copy", MirrorLink(SP, "track", TRACK_ID)),
        (f"https://open.spotify.com/intl-de/track/{TRACK_ID}", MirrorLink(SP, "track", TRACK_ID)),
        (f"https://open.spotify.com/intl-pt-BR/album/{TRACK_ID}", MirrorLink(SP, "album", TRACK_ID)),
        (f"open.spotify.com/playlist/{TRACK_ID}", MirrorLink(SP, "playlist", TRACK_ID)),
        (f"https://open.spotify.com/embed/playlist/{TRACK_ID}", MirrorLink(SP, "playlist", TRACK_ID)),
        (f"https://open.spotify.com/user/someone/playlist/{TRACK_ID}", MirrorLink(SP, "playlist", TRACK_ID)),
        (f"https://play.spotify.com/artist/{TRACK_ID}", MirrorLink(SP, "artist", TRACK_ID)),
        (f"spotify:track:{TRACK_ID}", MirrorLink(SP, "track", TRACK_ID)),
        (f"spotify:album:{TRACK_ID}", MirrorLink(SP, "album", TRACK_ID)),
        (f"spotify:user:someone:playlist:{TRACK_ID}", MirrorLink(SP, "playlist", TRACK_ID)),
        (f"SPOTIFY:artist:{TRACK_ID}", MirrorLink(SP, "artist", TRACK_ID)),
        ("https://music.apple.com/us/album/some-album/1440857781", MirrorLink(AP, "album", "1440857781")),
        ("https://music.apple.com/gb/album/some-album/1440857781?i=1440857792", MirrorLink(AP, "song", "1440857792")),
        ("https://music.apple.com/us/song/a-song/1440857792", MirrorLink(AP, "song", "1440857792")),
        ("https://music.apple.com/song/1440857792", MirrorLink(AP, "song", "1440857792")),
        (
            "https://music.apple.com/de/playlist/todays-hits/pl.f4d106fed2bd41149aaacabb233eb5eb",
            MirrorLink(AP, "playlist", "pl.f4d106fed2bd41149aaacabb233eb5eb"),
        ),
        ("https://geo.music.apple.com/us/album/x/1440857781?app=music", MirrorLink(AP, "album", "1440857781")),
        ("https://itunes.apple.com/us/album/x/id1440857781", MirrorLink(AP, "album", "1440857781")),
        ("https://www.deezer.com/track/3135556", MirrorLink(DZ, "track", "3135556")),
        ("https://www.deezer.com/en/track/3135556?utm_source=deezer", MirrorLink(DZ, "track", "3135556")),
        ("https://deezer.com/fr/album/302127", MirrorLink(DZ, "album", "302127")),
        ("http://www.deezer.com/us/playlist/908622995", MirrorLink(DZ, "playlist", "908622995")),
        ("https://spotify.link/AbCdEf12", ShortLink(SP, "https://spotify.link/AbCdEf12")),
        ("https://spotify.app.link/AbCdEf12?_p=x", ShortLink(SP, "https://spotify.app.link/AbCdEf12?_p=x")),
        ("https://deezer.page.link/Xyz123", ShortLink(DZ, "https://deezer.page.link/Xyz123")),
        ("https://link.deezer.com/s/30ABCdef", ShortLink(DZ, "https://link.deezer.com/s/30ABCdef")),
        (f"https://open.spotify.com/episode/{TRACK_ID}", UnsupportedLink(SP, "episode")),
        (f"spotify:show:{TRACK_ID}", UnsupportedLink(SP, "show")),
        (f"https://open.spotify.com/audiobook/{TRACK_ID}", UnsupportedLink(SP, "audiobook")),
        ("https://podcasts.apple.com/us/podcast/x/id123", UnsupportedLink(AP, "podcast")),
        ("https://music.apple.com/us/music-video/x/123", UnsupportedLink(AP, "music_video")),
        ("https://www.deezer.com/en/episode/123", UnsupportedLink(DZ, "episode")),
        ("https://www.deezer.com/en/artist/27", UnsupportedLink(DZ, "artist")),
        ("https://open.spotify.com/track/4uLU6hMCjMI75M1A2tK", MalformedLink(SP)),
        ("https://open.spotify.com/track/", MalformedLink(SP)),
        ("https://open.spotify.com/", MalformedLink(SP)),
        ("spotify:track:", MalformedLink(SP)),
        ("spotify:track:not-an-id!", MalformedLink(SP)),
        ("https://music.apple.com/us/album/x/notanid", MalformedLink(AP)),
        ("https://music.apple.com/us/playlist/x/123", MalformedLink(AP)),
        ("https://www.deezer.com/track/abc", MalformedLink(DZ)),
        ("https://www.deezer.com/en/", MalformedLink(DZ)),
        ("https://spotify.link/", MalformedLink(SP)),
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", None),
        ("https://example.com/open.spotify.com/track/x", None),
        ("https://[::1", None),
    ],
)
def test_link_forms(text: str, expected: object) -> None:
    assert parse(text) == expected


def test_canonical_drops_locale_and_tracking() -> None:
    link = parse(f"https://open.spotify.com/intl-fr/track/{TRACK_ID}?si=x")
    assert isinstance(link, MirrorLink)
    assert link.canonical == f"https://open.spotify.com/track/{TRACK_ID}"
