from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.audio.conftest import Media
from tests.audio.oggwrite import reference_crc, write_ogg
from worker.audio.errors import OggError
from worker.audio.ogg import OggOpusDemuxer, ogg_crc, opus_packet_samples


def _parse(data: bytes, chunk: int) -> list[bytes]:
    demux = OggOpusDemuxer()
    out: list[bytes] = []
    for i in range(0, len(data), chunk):
        out += demux.feed(data[i : i + chunk])
    demux.close()
    return out


@pytest.mark.parametrize("size", [0, 1, 3, 255, 4096])
def test_crc_matches_the_bitwise_reference(size: int) -> None:
    data = os.urandom(size)
    assert ogg_crc(data) == reference_crc(data)


def test_packets_round_trip_across_pages_and_lacing_edges() -> None:
    packets = [b"\x01" * n for n in (1, 254, 255, 256, 510, 511, 70_000, 3)]
    data = write_ogg(packets, max_segments=7)
    assert _parse(data, 1) == packets
    assert _parse(data, 4096) == packets


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(min_value=1, max_value=2000), min_size=1, max_size=40),
    max_segments=st.integers(min_value=1, max_value=255),
    chunk=st.integers(min_value=1, max_value=5000),
)
def test_any_chunking_yields_the_same_packets(sizes: list[int], max_segments: int, chunk: int) -> None:
    packets = [bytes([i % 251]) * n for i, n in enumerate(sizes)]
    assert _parse(write_ogg(packets, max_segments=max_segments), chunk) == packets


def test_ffmpeg_file_yields_audio_packets_only(media: Media) -> None:
    packets = _parse(Path(media.path("tone440.ogg")).read_bytes(), 1000)
    assert not any(p.startswith((b"OpusHead", b"OpusTags")) for p in packets)
    assert 150 <= len(packets) <= 152
    assert {opus_packet_samples(p) for p in packets} == {960}


def test_bad_checksum_is_reported() -> None:
    data = bytearray(write_ogg([b"\x05" * 100]))
    data[-1] ^= 0xFF
    with pytest.raises(OggError, match="checksum"):
        OggOpusDemuxer().feed(bytes(data))


def test_garbage_is_lost_sync() -> None:
    with pytest.raises(OggError, match="lost sync"):
        OggOpusDemuxer().feed(b"ID3\x04" + b"\0" * 100)


def test_truncated_stream_is_reported_on_close() -> None:
    data = write_ogg([b"\x05" * 1000])
    demux = OggOpusDemuxer()
    demux.feed(data[:-10])
    with pytest.raises(OggError, match="inside a page"):
        demux.close()


def test_unterminated_packet_is_reported_on_close() -> None:
    pages = write_ogg([b"\x05" * 600], max_segments=1)
    # Keep only the pages up to the middle of the packet (each page here holds one 255-byte segment).
    cut = [i for i in range(len(pages)) if pages.startswith(b"OggS", i)]
    demux = OggOpusDemuxer()
    demux.feed(pages[: cut[3]])
    with pytest.raises(OggError, match="inside a packet"):
        demux.close()


def test_non_opus_ogg_is_rejected(media: Media) -> None:
    with pytest.raises(OggError, match="not an Ogg Opus stream"):
        OggOpusDemuxer().feed(Path(media.path("vorbis440.ogg")).read_bytes())


def test_missing_tags_header_is_rejected() -> None:
    data = write_ogg([b"OpusHead" + b"\0" * 11, b"\xfc\x00"], headers=False)
    with pytest.raises(OggError, match="OpusTags"):
        OggOpusDemuxer().feed(data)


@pytest.mark.parametrize(
    ("packet", "samples"),
    [
        (bytes([0xFC]), 960),  # config 31 (CELT fullband 20 ms), one frame
        (bytes([0xF8, 0xFF, 0xFE]), 960),  # Discord's silence frame: same config, 20 ms
        (bytes([0x18]), 2880),  # config 3 (SILK narrowband 60 ms), one frame
        (bytes([0x4B, 0x03]), 2880),  # config 9 (SILK wideband 20 ms), code 3 with 3 frames
        (bytes([0x0B]), 0),  # code 3 without its frame-count byte: malformed
        (b"", 0),
    ],
)
def test_opus_packet_duration(packet: bytes, samples: int) -> None:
    assert opus_packet_samples(packet) == samples


@pytest.mark.parametrize("cut", [30, 700, 1500, 3100, 5000])
def test_a_dropped_connection_resumes_at_the_last_whole_page(cut: int) -> None:
    """Packets spanning pages (max 7 segments a page): the bytes from `resume_offset()` on complete the stream."""
    packets = [bytes([n]) * (n * 97 % 900 + 1) for n in range(1, 30)]
    data = write_ogg(packets, max_segments=7)
    demux = OggOpusDemuxer()
    out = demux.feed(data[:cut])
    offset = demux.resume_offset()
    assert offset <= cut
    out += demux.feed(data[offset:])
    demux.close()
    assert out == packets
