"""Unit tests for the fake's building blocks: MLS encoding, transport helpers, audio analysis, ids."""

from __future__ import annotations

import struct
import time

import davey
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from localdiscord.config import AES_GCM, XCHACHA
from localdiscord.voice.audio_analysis import dominant_frequency, pcm_window, peak_dbfs, peak_sample, rms_dbfs
from localdiscord.voice.capture import StreamCapture
from localdiscord.voice.mls import (
    ExternalSender,
    MlsDecodeError,
    Reader,
    encode_varint,
    key_package_identity,
    split_commit_welcome,
    strip_key_package,
    vec,
)
from localdiscord.voice.transport import decrypt, discovery_reply, encrypt, is_dave_frame, parse_rtp, rtp_header
from localdiscord.world.ids import Snowflakes, snowflake_time_ms
from tests.localdiscord.clients.tone import tone_pcm


@pytest.mark.parametrize("frequency", [97.0, 440.0, 443.5, 1000.0, 3150.0])
def test_dominant_frequency_finds_the_tone(frequency: float) -> None:
    assert abs(dominant_frequency(tone_pcm(frequency)) - frequency) <= 0.5


def test_rms_dbfs() -> None:
    assert rms_dbfs(tone_pcm(440.0, amplitude=32767)) == pytest.approx(-3.01, abs=0.05)
    assert rms_dbfs(tone_pcm(440.0, amplitude=3277)) == pytest.approx(-23.01, abs=0.05)
    assert rms_dbfs(bytes(9600)) == -120.0 and rms_dbfs(b"") == -120.0


def test_peak_levels_and_windows() -> None:
    tone = tone_pcm(440.0, amplitude=16384)
    assert peak_dbfs(tone) == pytest.approx(-6.02, abs=0.01)
    assert peak_sample(tone) == 16384
    assert peak_dbfs(bytes(9600)) == -120.0 and peak_sample(b"") == 0
    assert pcm_window(tone, 0.5, 0.25) == tone[96_000:144_000]


@pytest.mark.parametrize(
    ("n", "encoded"), [(0, "00"), (63, "3f"), (64, "4040"), (65, "4041"), (16383, "7fff"), (16384, "80004000")]
)
def test_mls_varint(n: int, encoded: str) -> None:
    assert encode_varint(n).hex() == encoded
    assert Reader(bytes.fromhex(encoded)).varint() == n


def test_external_sender_package_and_signed_proposals() -> None:
    sender = ExternalSender(group_id=1234)
    assert len(sender.package) == 74 and sender.package[:3] == b"\x40\x41\x04"
    assert sender.package[67:69] == b"\x00\x01" and sender.package[69:] == vec(b"fake")
    listener = davey.DaveSession(1, 42, 1234)
    package = listener.get_serialized_key_package()
    assert key_package_identity(package) == 42
    assert strip_key_package(b"\x00\x01\x00\x05" + package) == package == strip_key_package(package)
    proposals = sender.append_adds(0, [package])
    r = Reader(proposals)
    assert r.u8() == 0
    body = Reader(r.vec())
    tbs_start = body.pos
    assert (body.u16(), body.u16()) == (1, 1)
    assert body.vec() == (1234).to_bytes(8, "big") and body.u64() == 0
    assert (body.u8(), body.u32(), body.vec(), body.u8(), body.u16()) == (2, 0, b"", 2, 1)
    body.pos += len(package)
    tbs = body.data[tbs_start : body.pos]
    signature = body.vec()
    point = Reader(sender.package).vec()
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    key.verify(signature, vec(b"MLS 1.0 FramedContentTBS") + vec(tbs), ec.ECDSA(hashes.SHA256()))
    assert body.pos == len(body.data)


def test_split_commit_welcome_with_davey_as_the_committer() -> None:
    sender = ExternalSender(group_id=77)
    alice, bob = davey.DaveSession(1, 1, 77), davey.DaveSession(1, 2, 77)
    for session in (alice, bob):
        session.set_external_sender(sender.package)
    proposals = sender.append_adds(0, [bob.get_serialized_key_package()])
    result = alice.process_proposals(davey.ProposalsOperationType.append, proposals[1:], [1, 2])
    assert result is not None and result.welcome is not None
    split = split_commit_welcome(result.commit + result.welcome, 77)
    assert (split.commit, split.welcome) == (result.commit, result.welcome)
    assert (split.epoch, split.committer_leaf, split.proposal_refs) == (0, 0, 1)
    alice.process_commit(split.commit)
    assert split.welcome is not None
    bob.process_welcome(split.welcome)
    assert alice.epoch == bob.epoch == 1 and bob.own_leaf_index == 1
    frame = alice.encrypt_opus(b"\xfc" + bytes(100))
    assert is_dave_frame(frame) and bob.decrypt(1, davey.MediaType.audio, frame) == b"\xfc" + bytes(100)
    with pytest.raises(MlsDecodeError):
        split_commit_welcome(result.commit, 78)


def test_transport_round_trip_both_modes_and_rtp_header() -> None:
    key = bytes(range(32))
    header = rtp_header(7, 960 * 6, 0xDEADBEEF)
    for mode in (XCHACHA, AES_GCM):
        packet = encrypt(mode, key, header, b"opus!", 41)
        assert packet[-4:] == struct.pack(">I", 41)
        parsed = parse_rtp(packet)
        assert (parsed.seq, parsed.timestamp, parsed.ssrc, parsed.length) == (7, 5760, 0xDEADBEEF, 12)
        assert decrypt(mode, key, packet, parsed) == b"opus!"


def test_ip_discovery_reply_matches_the_discordjs_vector() -> None:
    request = b"\x00\x01\x00\x46" + bytes.fromhex("0004eb23") + bytes(66)
    reply = discovery_reply(request, "91.90.123.93", 54148)
    assert reply is not None and len(reply) == 74
    assert reply[:8].hex() == "000200460004eb23"
    assert reply[8 : reply.index(0, 8)] == b"91.90.123.93" and reply[-2:].hex() == "d384"
    assert discovery_reply(bytes(74), "1.2.3.4", 1) is None


def test_dave_frame_detection() -> None:
    assert not is_dave_frame(b"\xf8\xff\xfe")
    assert not is_dave_frame(b"\xfc" + bytes(100))
    assert is_dave_frame(bytes(101) + bytes(8) + b"\x05" + b"\x0c\xfa\xfa")


def test_snowflakes_are_time_based_and_unique() -> None:
    ids = Snowflakes()
    values = [ids.next() for _ in range(1000)]
    assert len(set(values)) == 1000 and values == sorted(values)
    assert abs(snowflake_time_ms(values[0]) - time.time() * 1000) < 1000


def test_stream_capture_counts_gaps_reorders_and_kinds() -> None:
    stream = StreamCapture(1)
    for i, seq in enumerate([1, 2, 5, 4, 6]):
        stream.add(99, seq, b"\xfc" + bytes(10), False, i * 0.02)
    stream.add(99, 7, b"\xf8\xff\xfe", False, 0.2)
    stats = stream.stats()
    assert (stats.frames, stats.missing, stats.gaps, stats.reordered) == (6, 1, 1, 1)
    stream.add(100, 65535, b"\xfc", False, 0.3)  # a new SSRC starts a new segment; seq wraps
    stream.add(100, 1, b"\xfc", False, 0.32)
    assert stream.losses() == (2, 2)
    assert (stats.silence_frames, stats.passthrough_frames, stats.time_gaps) == (1, 5, 1)
