"""Writes the offline media library that the loopback media server serves to the resolver, audio and e2e tests.

Layout under the root (every absolute URL inside starts with the `base` it is served at):

    media/tone<N>_<FREQ>hz.<ext>   the 18 tagged tones of `tests.media.tones.CATALOG`
    podcast.xml, playlist.xspf     RSS (with <pubDate>) and XSPF of `items` entries cycling through the tones
    audio.html, single.html        pages with three <audio> tags / one
    pages/nomedia.html             a page without media whose title names a tone (the search fallback's case)
    pages/unrelated.html           a page without media that names nothing
    lists/mix.m3u, lists/plain.m3u8, lists/radio.pls   playlists, mix.m3u with entries the URL guard must drop
    search/index.json              the `localsearch` extractor's index
    tube/t<KK>.json, tube/mix_t<KK>.json   the `localtube` videos (one per tone) and their mixes

Only ffmpeg and the standard library are used, and nothing outside the root is read or written. The tones render
while the text documents are written; only the RSS feed waits for them (it carries the files' sizes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from tests.media import documents
from tests.media.documents import Feed
from tests.media.tones import CATALOG, rendered, tone

PLUGIN_DIR: Final = Path(__file__).resolve().parents[1] / "ytdlp_plugins"
"""The directory that holds `yt_dlp_plugins/`: put it on sys.path before the first YoutubeDL."""


def _write(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")


def write_library(root: Path, base: str, items: int) -> None:
    """Write the whole library into `root` for serving at `base`, with feeds of `items` entries."""
    base = base.rstrip("/")
    with rendered(root):
        _write_documents(root, base, items)
    write_feed(root / "podcast.xml", base, Feed(f"Encore test podcast ({items} items)", "encore-test", items), root)


def _write_documents(root: Path, base: str, items: int) -> None:
    mp3s = documents.first_of_each_tone()
    _write(root / "playlist.xspf", documents.xspf(base, items))
    _write(root / "audio.html", documents.audio_page(base, "Encore test tones", mp3s))
    _write(root / "single.html", documents.audio_page(base, "Encore single tone", mp3s[:1]))
    _write(root / "pages" / "nomedia.html", documents.page(tone(3, "ogg").title, "<p>moved</p>"))
    _write(root / "pages" / "unrelated.html", documents.page("Gardening tips", "<p>no media here</p>"))
    _write(root / "lists" / "mix.m3u", documents.mix_m3u(base))
    _write(root / "lists" / "plain.m3u8", documents.plain_m3u(base))
    _write(root / "lists" / "radio.pls", documents.pls(base))
    _write(root / "search" / "index.json", documents.search_index(base))
    for k in range(len(CATALOG)):
        _write(root / "tube" / f"{documents.tube_id(k)}.json", documents.tube_video(base, k))
        _write(root / "tube" / f"mix_{documents.tube_id(k)}.json", documents.tube_mix(k))


def write_feed(path: Path, base: str, feed: Feed, library: Path) -> None:
    """An RSS feed at `path` whose enclosures point at the tones of the library in `library`, served at `base`."""
    sizes = {tone.file: (library / tone.file).stat().st_size for tone in CATALOG}
    _write(path, documents.rss(base.rstrip("/"), feed, sizes))
