"""Builds the offline media library: tones and feeds from make_test_media.py plus the extra documents tests need."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final
from xml.sax.saxutils import escape

from shared.codec import dumps, loads

PLUGIN_DIR: Final = Path(__file__).resolve().parents[1] / "ytdlp_plugins"
"""The directory that holds `yt_dlp_plugins/`: put it on sys.path before the first YoutubeDL."""


def shared_dir() -> Path:
    """The `shared/` directory beside the checkout (ENCORE_SHARED_DIR overrides)."""
    override = os.environ.get("ENCORE_SHARED_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parents[3] / "shared"


def make_test_media(out: Path, base: str, items: int, *, pubdate: bool = True) -> None:
    """Run the project's generator (tones in six codecs, RSS/XSPF of `items` entries, HTML pages, manifest)."""
    tool = shared_dir() / "tools" / "make_test_media.py"
    args = [sys.executable, str(tool), str(out), "--base", base, "--items", str(items)]
    if not pubdate:
        args.append("--no-pubdate")
    subprocess.run(args, check=True, capture_output=True, timeout=120)


@dataclass(frozen=True)
class Tone:
    file: str
    title: str
    fmt: str
    seconds: float


def tones(root: Path) -> list[Tone]:
    manifest = loads((root / "manifest.json").read_bytes())
    return [
        Tone(file=tone["files"][fmt], title=tone["titles"][fmt], fmt=fmt, seconds=float(tone["seconds"]))
        for tone in manifest["tones"]
        for fmt in tone["files"]
    ]


def write_search_index(root: Path, base: str) -> None:
    """The JSON index the localsearch extractor reads: one entry per tone file."""
    index = [
        {
            "id": Path(tone.file).stem + "-" + tone.fmt,
            "title": tone.title,
            "artist": "Encore Test Artist",
            "duration": tone.seconds,
            "url": f"{base}/{tone.file}",
        }
        for tone in tones(root)
    ]
    (root / "search").mkdir(exist_ok=True)
    (root / "search" / "index.json").write_bytes(dumps(index))


def write_extra_documents(root: Path, base: str) -> None:
    """Pages without media, M3U/PLS playlists, and the search index."""
    write_search_index(root, base)
    pages = root / "pages"
    pages.mkdir(exist_ok=True)
    page = "<!doctype html><html><head><title>{}</title></head><body><p>{}</p></body></html>\n"
    (pages / "nomedia.html").write_text(page.format("Test Tone 3 (440 Hz, ogg)", "moved"), encoding="utf-8")
    (pages / "unrelated.html").write_text(page.format("Gardening tips", "no media here"), encoding="utf-8")
    all_tones = tones(root)
    lists = root / "lists"
    lists.mkdir(exist_ok=True)
    extm3u = ["#EXTM3U"]
    for tone in all_tones[:4]:
        extm3u += [f"#EXTINF:{int(tone.seconds)},Encore Test Artist - {tone.title}", f"{base}/{tone.file}"]
    extm3u += ["#EXTINF:5,Relative entry", f"../{all_tones[4].file}"]
    extm3u += ["#EXTINF:5,Local file", "file:///etc/passwd", "#EXTINF:5,Metadata", "http://169.254.169.254/latest"]
    (lists / "mix.m3u").write_text("\n".join(extm3u) + "\n", encoding="utf-8")
    plain = [f"{base}/{tone.file}" for tone in all_tones[:3]]
    (lists / "plain.m3u8").write_text("\n".join(plain) + "\n", encoding="utf-8")
    pls = ["[playlist]"]
    for n, tone in enumerate(all_tones[:3], 1):
        pls += [f"File{n}={base}/{tone.file}", f"Title{n}={tone.title}", f"Length{n}={int(tone.seconds)}"]
    pls += [f"NumberOfEntries={len(all_tones[:3])}", "Version=2"]
    (lists / "radio.pls").write_text("\n".join(pls) + "\n", encoding="utf-8")


def write_rss(path: Path, base: str, root: Path, items: int) -> None:
    """A small RSS feed (no pubDate) for tests that need a size other than the generated one."""
    all_tones = tones(root)
    rows = []
    for i in range(1, items + 1):
        tone = all_tones[(i - 1) % len(all_tones)]
        url = escape(f"{base}/{tone.file}?item={i}")
        rows.append(
            f"<item><title>{escape(tone.title)} #{i}</title><guid isPermaLink='false'>small-{i:06d}</guid>"
            f"<enclosure url='{url}' length='1' type='audio/mpeg'/><itunes:duration>5</itunes:duration></item>"
        )
    head = "<?xml version='1.0' encoding='UTF-8'?><rss version='2.0' xmlns:itunes='http://www.itunes.com/dtds/podcast-1.0.dtd'>"
    body = f"<channel><title>Small feed ({items})</title><link>{base}/</link>" + "".join(rows) + "</channel></rss>"
    path.write_text(head + body, encoding="utf-8")
