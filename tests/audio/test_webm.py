from __future__ import annotations

import itertools
import random
import subprocess
from pathlib import Path
from typing import override

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.audio import webmwrite as w
from worker.audio.errors import WebmError
from worker.audio.ogg import OggOpusDemuxer
from worker.audio.webm import CUES, TimedPacket, WebmOpusDemuxer

_SOURCE = "aevalsrc=0.5*sin(2*PI*440*t)|0.5*sin(2*PI*330*t):s=48000:d=12"


def _ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args], check=True, timeout=60)


class Sample:
    def __init__(self, webm: bytes, packets: list[bytes]) -> None:
        self.webm = webm
        self.packets = packets
        """The packets of its stream as FFmpeg's own remux to Ogg holds them."""

    @override
    def __repr__(self) -> str:
        return f"Sample({len(self.webm)} bytes, {len(self.packets)} packets)"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    """A 12 s WebM/Opus file cut in 2 s clusters (cues at the end, as FFmpeg writes them)."""
    root = tmp_path_factory.mktemp("webm")
    webm, ogg = root / "t.webm", root / "t.ogg"
    opus = ["-c:a", "libopus", "-b:a", "96k"]
    _ffmpeg("-f", "lavfi", "-i", _SOURCE, *opus, "-cluster_time_limit", "2000", "-f", "webm", str(webm))
    _ffmpeg("-i", str(webm), "-c", "copy", "-f", "ogg", str(ogg))
    reference = OggOpusDemuxer()
    packets = reference.feed(Path(ogg).read_bytes())
    reference.close()
    return Sample(webm.read_bytes(), packets)


def _demux(data: bytes, chunk: int) -> tuple[WebmOpusDemuxer, list[TimedPacket]]:
    demux = WebmOpusDemuxer()
    out: list[TimedPacket] = []
    for i in range(0, len(data), chunk):
        out += demux.feed(data[i : i + chunk])
    demux.close()
    return demux, out


@pytest.mark.parametrize("chunk", [7, 1000, 65536, 1 << 30])
def test_packets_are_the_ones_ffmpeg_remuxes_to_ogg(files: Sample, chunk: int) -> None:
    data, reference = files.webm, files.packets
    demux, packets = _demux(data, chunk)
    assert [p.data for p in packets] == reference
    assert demux.channels == 2
    steps = {b.at_ms - a.at_ms for a, b in itertools.pairwise(packets)}
    assert steps <= {19, 20, 21}


def test_byte_by_byte_feeding_of_the_head_and_first_cluster(files: Sample) -> None:
    data, reference = files.webm, files.packets
    demux = WebmOpusDemuxer()
    out: list[TimedPacket] = []
    for i in range(30_000):
        out += demux.feed(data[i : i + 1])
    assert [p.data for p in out] == reference[: len(out)]
    assert len(out) > 50


def test_every_cue_seeks_to_the_packets_from_its_time(files: Sample) -> None:
    data = files.webm
    demux, full = _demux(data, 1 << 30)
    assert len(demux.cues) >= 6
    assert demux.seek_heads[CUES] > demux.cues[-1].cluster_offset
    for target in (0, 2500, 5000, 11_999):
        cue = demux.cluster_for(target)
        assert cue is not None
        assert cue.at_ms <= target
        demux.restart_at(cue.cluster_offset)
        after = demux.feed(data[cue.cluster_offset :])
        demux.close()
        assert after == [p for p in full if p.at_ms >= cue.at_ms]
        assert after[0].at_ms == cue.at_ms


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=1, max_value=200_000))
def test_a_dropped_connection_resumes_at_the_byte_it_stopped(files: Sample, cut: int) -> None:
    data, reference = files.webm, files.packets
    demux = WebmOpusDemuxer()
    before = demux.feed(data[: min(cut, len(data) - 1)])
    offset = demux.resume_offset()
    after = demux.feed(data[offset:])
    demux.close()
    assert [p.data for p in before + after] == reference


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=200_000))
def test_a_truncated_file_is_a_clear_error(files: Sample, cut: int) -> None:
    data = files.webm
    with pytest.raises(WebmError):
        _demux(data[: min(cut, len(data) - 1)], 1 << 30)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(min_value=0, max_value=2**32), flips=st.integers(min_value=1, max_value=8))
def test_corruption_raises_only_webm_errors(files: Sample, seed: int, flips: int) -> None:
    data = bytearray(files.webm[:40_000])
    rng = random.Random(seed)
    for _ in range(flips):
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    demux = WebmOpusDemuxer()
    try:
        for i in range(0, len(data), 4096):
            demux.feed(bytes(data[i : i + 4096]))
    except WebmError:
        pass


@pytest.mark.parametrize("lacing", ["xiph", "fixed", "ebml"])
def test_laced_blocks_split_into_their_frames(lacing: str) -> None:
    sizes = [300, 300, 300] if lacing == "fixed" else [1, 254, 255, 256, 600, 3]
    frames = [bytes([i + 1]) * size for i, size in enumerate(sizes)]
    data = w.head() + w.cluster(1000, [w.block(20, frames, lacing=lacing)])
    _, packets = _demux(data, 1 << 30)
    assert packets == [TimedPacket(1020, f) for f in frames]


def test_a_live_stream_of_unknown_sizes_plays_and_other_tracks_are_ignored() -> None:
    clusters = [
        w.cluster(t, [w.block(0, [b"a%d" % t]), w.block(0, [b"video"], track=2), w.block(20, [b"b%d" % t])], live=True)
        for t in (0, 40, 80)
    ]
    _, packets = _demux(w.head() + b"".join(clusters), 5)
    assert packets == [TimedPacket(t + d, b"%s%d" % (p, t)) for t in (0, 40, 80) for d, p in ((0, b"a"), (20, b"b"))]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"OggS" + bytes(100), "invalid element id|no EBML header"),
        (w.head(doc_type=b"mkv3d") + w.cluster(0, []), "document type"),
        (w.head(codec=b"A_VORBIS") + w.cluster(0, [w.block(0, [b"x"])]), "no Opus audio track"),
        (w.head() + w.cluster(0, [w.element(0xA3, bytes(2 << 20))]), "too large"),
        (w.element(0x1A45DFA3, w.element(0x4282, b"webm")) + w.cluster(0, []), "outside a Segment"),
        (w.head() + w.cluster(0, [w.element(0xA3, b"\x81")]), "truncated block"),
        (w.head() + w.cluster(0, [w.block(0, [b"ab", b"c"], lacing="fixed")]), "fixed lacing"),
    ],
)
def test_malformed_files_say_what_is_wrong(data: bytes, words: str) -> None:
    with pytest.raises(WebmError, match=words):
        _demux(data, 1 << 30)


def test_seeking_before_the_head_is_refused() -> None:
    with pytest.raises(WebmError, match="before the head"):
        WebmOpusDemuxer().restart_at(100)


def test_cue_and_block_times_follow_the_timecode_scale() -> None:
    """A segment counting in 0.1 ms units: cues and packets are in ms all the same."""
    first = w.cluster(0, [w.block(0, [b"\xfc\x01"])])
    data = (
        w.head(scale_ns=100_000)
        + w.cues([(0, 0), (50_000, 1234)])
        + first
        + w.cluster(50_000, [w.block(200, [b"\xfc\x02"])])
    )
    demux = WebmOpusDemuxer()
    packets = demux.feed(data)
    assert [cue.at_ms for cue in demux.cues] == [0, 5000]
    assert [packet.at_ms for packet in packets] == [0, 5020]
    cue = demux.cluster_for(6000)
    assert cue is not None and cue.at_ms == 5000


def _slow_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(WebmOpusDemuxer, "_simple_blocks", lambda self, pos, out: pos)


def _outcome(data: bytes, chunk: int) -> list[TimedPacket] | str:
    try:
        return _demux(data, chunk)[1]
    except WebmError as error:
        return f"WebmError: {error}"


_BLOCKS = st.lists(
    st.tuples(
        st.integers(min_value=-32768, max_value=32767),
        st.lists(st.binary(max_size=300), min_size=1, max_size=3),
        st.sampled_from(["none", "none", "xiph", "ebml"]),
        st.sampled_from([1, 1, 1, 2]),
    ),
    max_size=12,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    clusters=st.lists(st.tuples(st.integers(min_value=0, max_value=10**6), _BLOCKS, st.booleans()), max_size=4),
    chunk=st.sampled_from([1, 3, 50, 1 << 30]),
    flip=st.integers(min_value=-1, max_value=4000),
)
def test_the_fast_path_reads_what_the_general_parser_reads(
    monkeypatch: pytest.MonkeyPatch, clusters: list[tuple[int, list[tuple[int, list[bytes], str, int]], bool]],
    chunk: int, flip: int,
) -> None:  # fmt: skip
    """Unlaced SimpleBlocks take a shortcut (`_simple_blocks`): packets, times and errors are the general parser's."""
    blocks = [
        [w.block(rel, frames if lacing != "none" else frames[:1], lacing=lacing, track=track)
         for rel, frames, lacing, track in cluster_blocks]
        for _, cluster_blocks, _ in clusters
    ]  # fmt: skip
    data = bytearray(
        w.head() + b"".join(w.cluster(t, b, live=live) for (t, _, live), b in zip(clusters, blocks, strict=True))
    )
    if 0 <= flip < len(data):
        data[flip] ^= 0x41
    fast = _outcome(bytes(data), chunk)
    with monkeypatch.context() as patch:
        _slow_only(patch)
        slow = _outcome(bytes(data), chunk)
    assert fast == slow
