"""RTP parsing and the two ``rtpsize`` AEAD transport modes, plus the IP discovery datagrams.

In both modes the additional data is the unencrypted RTP header (12 bytes, the CSRCs, and of an extension only
its 4-byte preamble; the extension body is encrypted and skipped after decryption). A 32-bit big-endian packet
counter is appended to the datagram and padded with zeros to the mode's nonce size (24 bytes for XChaCha20,
12 for AES-GCM); the 16-byte tag follows the ciphertext.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

import nacl.bindings
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from localdiscord.config import AES_GCM, XCHACHA

SUPPORTED_MODES: Final = (XCHACHA, AES_GCM)
DISCOVERY_LEN: Final = 74


class TransportError(ValueError):
    """A packet that cannot be parsed or decrypted."""


@dataclass(frozen=True, slots=True)
class RtpHeader:
    first: int
    payload_type: int
    seq: int
    timestamp: int
    ssrc: int
    length: int
    extension_words: int

    @property
    def is_rtcp(self) -> bool:
        return 200 <= self.payload_type <= 204


def parse_rtp(packet: bytes) -> RtpHeader:
    if len(packet) < 12 or packet[0] >> 6 != 2:
        raise TransportError("not an RTP packet")
    csrc = packet[0] & 0x0F
    has_ext = bool(packet[0] & 0x10)
    length = 12 + 4 * csrc + (4 if has_ext else 0)
    if len(packet) < length + 4 + 16:
        raise TransportError("RTP packet too short")
    words = struct.unpack_from(">H", packet, length - 2)[0] if has_ext else 0
    seq, ts, ssrc = struct.unpack_from(">HII", packet, 2)
    return RtpHeader(packet[0], packet[1], seq, ts, ssrc, length, words)


def decrypt(mode: str, key: bytes, packet: bytes, header: RtpHeader) -> bytes:
    """Transport-decrypt an ``rtpsize`` packet; returns the media frame (extension body dropped)."""
    aad, body, suffix = packet[: header.length], packet[header.length : -4], packet[-4:]
    try:
        if mode == XCHACHA:
            plain = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(body, aad, suffix + bytes(20), key)
        elif mode == AES_GCM:
            plain = AESGCM(key).decrypt(suffix + bytes(8), body, aad)
        else:
            raise TransportError(f"unsupported mode {mode}")
    except TransportError:
        raise
    except Exception as exc:
        raise TransportError(f"decryption failed: {exc}") from exc
    return plain[4 * header.extension_words :]


def encrypt(mode: str, key: bytes, header: bytes, frame: bytes, nonce: int) -> bytes:
    """Build an ``rtpsize`` datagram (used by test clients)."""
    suffix = struct.pack(">I", nonce & 0xFFFFFFFF)
    if mode == XCHACHA:
        sealed = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(frame, header, suffix + bytes(20), key)
    else:
        sealed = AESGCM(key).encrypt(suffix + bytes(8), frame, header)
    return header + sealed + suffix


def rtp_header(seq: int, timestamp: int, ssrc: int) -> bytes:
    return struct.pack(">BBHII", 0x80, 0x78, seq & 0xFFFF, timestamp & 0xFFFFFFFF, ssrc)


def discovery_reply(request: bytes, host: str, port: int) -> bytes | None:
    """The 74-byte IP discovery answer, or None if ``request`` is not a discovery request."""
    if len(request) != DISCOVERY_LEN or request[:4] != b"\x00\x01\x00\x46":
        return None
    address = host.encode("ascii").ljust(64, b"\x00")
    return b"\x00\x02\x00\x46" + request[4:8] + address + struct.pack(">H", port)


def discovery_request(ssrc: int) -> bytes:
    return b"\x00\x01\x00\x46" + struct.pack(">I", ssrc) + bytes(66)


def is_dave_frame(frame: bytes) -> bool:
    """Whether ``frame`` is a DAVE media frame (``F8 FF FE`` silence excluded).

    A DAVE frame ends ``… ciphertext | 8-byte tag | ULEB128 nonce | ranges | u8 supplemental size | FA FA``; the
    supplemental size (at least 12 for Opus) covers everything after the ciphertext, and the nonce must parse
    inside it.
    """
    if len(frame) < 12 or frame[-2:] != b"\xfa\xfa" or frame == b"\xf8\xff\xfe":
        return False
    supplemental = frame[-3]
    if not 12 <= supplemental < len(frame):
        return False
    start = len(frame) - supplemental + 8
    return any(not frame[i] & 0x80 for i in range(start, len(frame) - 3))
