"""The text documents of the media library: RSS and XSPF feeds, HTML pages, M3U/PLS lists, the search index.

Every function returns the document for a library served at `base` (no trailing slash); absolute URLs start with it.
Feeds cycle through `CATALOG`: entry i (from 1) is tone `CATALOG[(i - 1) % 18]` at a URL of its own
(`?item=i`, the same file behind it) titled `<tone title> #i`, so tests read an entry's position from its title.
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from xml.sax.saxutils import escape, quoteattr

from shared.codec import dumps
from tests.media.tones import ARTIST, CATALOG, Tone

FEED_EPOCH: Final = 1_700_000_000
"""The first feed entry's `<pubDate>` (entries are an hour apart), fixed so the feeds are reproducible."""
_ITUNES: Final = "http://www.itunes.com/dtds/podcast-1.0.dtd"
_XML: Final = '<?xml version="1.0" encoding="UTF-8"?>\n'
_PAGE: Final = '<!doctype html>\n<html><head><meta charset="utf-8"><title>{}</title></head><body>\n{}\n</body></html>\n'


@dataclass(frozen=True, slots=True)
class Feed:
    """An RSS feed of `items` entries; `<pubDate>` is optional because yt-dlp parses dated feeds far more slowly."""

    title: str
    guid_prefix: str
    items: int
    pubdate: bool = True


def entry(i: int) -> Tone:
    """The tone behind feed entry `i` (from 1)."""
    return CATALOG[(i - 1) % len(CATALOG)]


def _hms(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def _date(i: int) -> str:
    return email.utils.formatdate(FEED_EPOCH + i * 3600, usegmt=True)


def rss(base: str, feed: Feed, sizes: Mapping[str, int]) -> str:
    """RSS 2.0 with iTunes tags; `sizes` gives each tone file's byte count for `<enclosure length>`."""
    rows = []
    for i in range(1, feed.items + 1):
        tone = entry(i)
        date = f"<pubDate>{_date(i)}</pubDate>" if feed.pubdate else ""
        rows.append(
            f"<item><title>{escape(f'{tone.title} #{i}')}</title>"
            f'<guid isPermaLink="false">{feed.guid_prefix}-{i:06d}</guid>{date}'
            f'<enclosure url={quoteattr(f"{base}/{tone.file}?item={i}")} length="{sizes[tone.file]}"'
            f' type="{tone.codec.mime}"/><itunes:duration>{_hms(tone.seconds)}</itunes:duration>'
            f"<itunes:episode>{i}</itunes:episode></item>"
        )
    channel = f"<channel><title>{escape(feed.title)}</title><link>{escape(base)}/</link>"
    channel += "<description>Generated test feed</description>\n"
    return f'{_XML}<rss version="2.0" xmlns:itunes="{_ITUNES}">{channel}' + "\n".join(rows) + "\n</channel></rss>\n"


def xspf(base: str, items: int) -> str:
    """An XSPF playlist of `items` tracks (durations in milliseconds, as XSPF wants)."""
    rows = [
        f"<track><location>{escape(f'{base}/{tone.file}?item={i}')}</location>"
        f"<title>{escape(f'{tone.title} #{i}')}</title><creator>{escape(ARTIST)}</creator>"
        f"<duration>{int(tone.seconds * 1000)}</duration></track>"
        for i, tone in ((i, entry(i)) for i in range(1, items + 1))
    ]
    head = f'<playlist version="1" xmlns="http://xspf.org/ns/0/"><title>Encore test playlist ({items} tracks)</title>'
    return f"{_XML}{head}<trackList>\n" + "\n".join(rows) + "\n</trackList></playlist>\n"


def page(title: str, body: str) -> str:
    return _PAGE.format(escape(title), body)


def audio_page(base: str, title: str, tones: tuple[Tone, ...]) -> str:
    """A page with one heading and one `<audio>` tag per tone: yt-dlp's generic extractor lists the tags."""
    players = [
        f"<h2>{escape(tone.title)}</h2>\n<audio controls src={quoteattr(f'{base}/{tone.file}')}></audio>"
        for tone in tones
    ]
    return page(title, "\n".join(players))


def first_of_each_tone() -> tuple[Tone, ...]:
    """Each tone in its first codec (mp3): what the HTML pages embed."""
    return tuple(tone for tone in CATALOG if tone.fmt == "mp3")


def mix_m3u(base: str) -> str:
    """Extended M3U: four absolute entries, one relative to the list, and two the URL guard must drop."""
    lines = ["#EXTM3U"]
    for tone in CATALOG[:4]:
        lines += [f"#EXTINF:{int(tone.seconds)},{ARTIST} - {tone.title}", f"{base}/{tone.file}"]
    lines += ["#EXTINF:5,Relative entry", f"../{CATALOG[4].file}"]
    lines += ["#EXTINF:5,Local file", "file:///etc/passwd", "#EXTINF:5,Metadata", "http://169.254.169.254/latest"]
    return "\n".join(lines) + "\n"


def plain_m3u(base: str) -> str:
    """M3U without tags: three URLs, one a line."""
    return "".join(f"{base}/{tone.file}\n" for tone in CATALOG[:3])


def pls(base: str) -> str:
    """A PLS (`[playlist]`, version 2) of three entries."""
    lines = ["[playlist]"]
    for n, tone in enumerate(CATALOG[:3], 1):
        lines += [f"File{n}={base}/{tone.file}", f"Title{n}={tone.title}", f"Length{n}={int(tone.seconds)}"]
    lines += ["NumberOfEntries=3", "Version=2"]
    return "\n".join(lines) + "\n"


def search_index(base: str) -> bytes:
    """The JSON index the `localsearch` extractor reads: one entry per tone file, in catalog order."""
    index = [
        {
            "id": f"tone{tone.n}_{tone.freq}hz-{tone.fmt}",
            "title": tone.title,
            "artist": ARTIST,
            "duration": tone.seconds,
            "url": f"{base}/{tone.file}",
        }
        for tone in CATALOG
    ]
    return dumps(index)


TUBE_ARTIST: Final = "Encore Tube Channel"
MIX_BEFORE: Final = 3
MIX_AFTER: Final = 6


def tube_id(k: int) -> str:
    """The id of tube video `k` (0-based): its audio is `CATALOG[k % 18]`."""
    return f"t{k % len(CATALOG):02d}"


def tube_title(k: int) -> str:
    return f"Tube {tube_id(k)}: {CATALOG[k % len(CATALOG)].title}"


def tube_video(base: str, k: int) -> bytes:
    """The metadata the `localtube` extractor reads for video `k`."""
    tone = CATALOG[k % len(CATALOG)]
    acodec = "opus" if tone.codec.ext in ("ogg", "webm") else tone.codec.ext
    meta = {"id": tube_id(k), "title": tube_title(k), "artist": TUBE_ARTIST, "duration": tone.seconds}
    return dumps({**meta, "url": f"{base}/{tone.file}", "ext": tone.codec.ext, "acodec": acodec})


def tube_mix(k: int) -> bytes:
    """Video `k`'s mix: the `MIX_BEFORE` videos before it, itself, the `MIX_AFTER` after it (cycling through the
    18), so a radio that walks through it meets what it played before."""
    ids = [(k + offset) % len(CATALOG) for offset in range(-MIX_BEFORE, MIX_AFTER + 1)]
    return dumps([{"id": tube_id(i), "title": tube_title(i), "duration": CATALOG[i].seconds} for i in ids])
