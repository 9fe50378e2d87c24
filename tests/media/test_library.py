"""The generated media library keeps its contract: codecs and tags as the resolver tests expect, sizes in the feed
that match the files, and the same bytes on every run."""

from __future__ import annotations

import subprocess
from pathlib import Path
from xml.etree import ElementTree

import orjson

from tests.media.fixtures import PLAYLIST_ITEMS
from tests.media.library import write_library
from tests.media.server import MediaServer
from tests.media.tones import ARTIST, CATALOG, SAMPLE_RATE

CODEC_NAMES = {"mp3": "mp3", "ogg": "opus", "webm": "opus", "m4a": "aac", "flac": "flac", "wav": "pcm_s16le"}


def probe(path: Path) -> dict[str, str]:
    entries = "stream=codec_name,sample_rate,channels:format=duration:format_tags=title,artist:stream_tags=title,artist"
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", entries, "-of", "json", str(path)],
        check=True,
        capture_output=True,
        timeout=30,
    ).stdout
    info = orjson.loads(out)
    stream, fmt = info["streams"][0], info["format"]
    tags = {key.lower(): value for part in (fmt, stream) for key, value in (part.get("tags") or {}).items()}
    return {
        "codec": stream["codec_name"],
        "rate": stream["sample_rate"],
        "channels": str(stream["channels"]),
        "duration": fmt["duration"],
        "title": tags.get("title", ""),
        "artist": tags.get("artist", ""),
    }


def test_every_tone_has_its_codec_tags_and_length(media_server: MediaServer) -> None:
    for tone in CATALOG:
        found = probe(media_server.root / tone.file)
        assert found["codec"] == CODEC_NAMES[tone.fmt], tone.file
        assert (found["rate"], found["channels"]) == (str(SAMPLE_RATE), "2"), tone.file
        assert (found["title"], found["artist"]) == (tone.title, ARTIST), tone.file
        assert abs(float(found["duration"]) - tone.seconds) < 0.1, tone.file


def test_the_feed_numbers_its_entries_and_states_real_sizes(media_server: MediaServer) -> None:
    channel = ElementTree.parse(media_server.root / "podcast.xml").getroot().find("channel")
    assert channel is not None
    items = channel.findall("item")
    assert len(items) == PLAYLIST_ITEMS
    for i, item in enumerate(items[:40], 1):
        tone = CATALOG[(i - 1) % len(CATALOG)]
        enclosure = item.find("enclosure")
        assert enclosure is not None
        assert item.findtext("title") == f"{tone.title} #{i}"
        assert enclosure.get("url") == f"{media_server.base}/{tone.file}?item={i}"
        assert enclosure.get("length") == str((media_server.root / tone.file).stat().st_size)
        assert enclosure.get("type") == tone.codec.mime


def test_a_second_run_writes_the_same_bytes(media_server: MediaServer, tmp_path: Path) -> None:
    write_library(tmp_path, media_server.base, PLAYLIST_ITEMS)
    # the session's root also holds what other tests added (feeds/, e2e/); compare what the library writes
    written = sorted(path.relative_to(tmp_path) for path in tmp_path.rglob("*") if path.is_file())
    # per tone: the audio file and its localtube video and mix; then the ten text documents
    assert len(written) == 3 * len(CATALOG) + 10
    for relative in written:
        assert (tmp_path / relative).read_bytes() == (media_server.root / relative).read_bytes(), relative
