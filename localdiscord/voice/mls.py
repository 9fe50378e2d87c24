"""Hand-written RFC 9420 TLS encoding for the voice server's external-sender role (DAVE v1).

Only what an SFU needs: the external sender package (op 25), external Add/Remove proposals (op 27)
and splitting a member's commit from its welcome (op 28), in the TLS presentation language of RFC 9420.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

MLS10: Final = 1
WIRE_PUBLIC_MESSAGE: Final = 1
WIRE_WELCOME: Final = 3
WIRE_KEY_PACKAGE: Final = 5
SENDER_MEMBER: Final = 1
SENDER_EXTERNAL: Final = 2
CONTENT_PROPOSAL: Final = 2
CONTENT_COMMIT: Final = 3
PROPOSAL_ADD: Final = 1
PROPOSAL_REMOVE: Final = 3
CREDENTIAL_BASIC: Final = 1
_TBS_LABEL: Final = b"MLS 1.0 FramedContentTBS"
_MLS_MESSAGE_KP_PREFIX: Final = struct.pack(">HH", MLS10, WIRE_KEY_PACKAGE)


class MlsDecodeError(ValueError):
    """A member sent bytes the voice server cannot parse."""


def encode_varint(n: int) -> bytes:
    """RFC 9420 §2.1.2 variable-length integer (QUIC style, at most 30 bits)."""
    if n < 1 << 6:
        return bytes([n])
    if n < 1 << 14:
        return struct.pack(">H", 0x4000 | n)
    if n < 1 << 30:
        return struct.pack(">I", 0x80000000 | n)
    raise ValueError(f"vector too long: {n}")


def vec(data: bytes) -> bytes:
    """An MLS variable-length vector: varint length then the bytes."""
    return encode_varint(len(data)) + data


class Reader:
    """A cursor over MLS TLS-encoded bytes."""

    def __init__(self, data: bytes, pos: int = 0) -> None:
        self.data = data
        self.pos = pos

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise MlsDecodeError(f"truncated at {self.pos} (+{n} of {len(self.data)})")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def u8(self) -> int:
        return self.take(1)[0]

    def u16(self) -> int:
        value: int = struct.unpack(">H", self.take(2))[0]
        return value

    def u32(self) -> int:
        value: int = struct.unpack(">I", self.take(4))[0]
        return value

    def u64(self) -> int:
        value: int = struct.unpack(">Q", self.take(8))[0]
        return value

    def varint(self) -> int:
        first = self.u8()
        prefix = first >> 6
        if prefix == 0:
            return first
        if prefix == 1:
            return ((first & 0x3F) << 8) | self.u8()
        if prefix == 2:
            return ((first & 0x3F) << 24) | int.from_bytes(self.take(3), "big")
        raise MlsDecodeError("invalid varint prefix")

    def vec(self) -> bytes:
        return self.take(self.varint())


@dataclass(frozen=True, slots=True)
class CommitWelcome:
    """An op-28 payload split at the end of the commit message."""

    commit: bytes
    welcome: bytes | None
    epoch: int
    committer_leaf: int
    proposal_refs: int


def strip_key_package(payload: bytes) -> bytes:
    """Return a bare KeyPackage; accept the whitepaper's MLSMessage wrapping too."""
    if payload.startswith(_MLS_MESSAGE_KP_PREFIX):
        return payload[4:]
    return payload


def key_package_identity(key_package: bytes) -> int:
    """The basic-credential identity (user id, big-endian u64) inside a bare KeyPackage."""
    r = Reader(key_package)
    if r.u16() != MLS10:
        raise MlsDecodeError("key package: not MLS 1.0")
    r.u16()  # cipher suite
    r.vec()  # init_key
    r.vec()  # leaf_node.encryption_key
    r.vec()  # leaf_node.signature_key
    if r.u16() != CREDENTIAL_BASIC:
        raise MlsDecodeError("key package: credential is not basic")
    identity = r.vec()
    if len(identity) != 8:
        raise MlsDecodeError("key package: identity is not a u64")
    return int.from_bytes(identity, "big")


class ExternalSender:
    """The voice server's MLS identity: signs external proposals for one call (group)."""

    def __init__(self, group_id: int, identity: bytes = b"fake") -> None:
        self.group_id = group_id
        self._key = ec.generate_private_key(ec.SECP256R1())
        point = self._key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.package = vec(point) + struct.pack(">H", CREDENTIAL_BASIC) + vec(identity)

    def _proposal_message(self, epoch: int, proposal: bytes) -> bytes:
        content = (
            vec(self.group_id.to_bytes(8, "big"))
            + struct.pack(">QBI", epoch, SENDER_EXTERNAL, 0)
            + vec(b"")
            + bytes([CONTENT_PROPOSAL])
            + proposal
        )
        tbs = struct.pack(">HH", MLS10, WIRE_PUBLIC_MESSAGE) + content
        signature = self._key.sign(vec(_TBS_LABEL) + vec(tbs), ec.ECDSA(hashes.SHA256()))
        return tbs + vec(signature)

    def append_adds(self, epoch: int, key_packages: list[bytes]) -> bytes:
        """op-27 payload (operation byte included): external Add proposals."""
        body = b"".join(self._proposal_message(epoch, struct.pack(">H", PROPOSAL_ADD) + kp) for kp in key_packages)
        return b"\x00" + vec(body)

    def append_removes(self, epoch: int, leaf_indices: list[int]) -> bytes:
        """op-27 payload (operation byte included): external Remove proposals."""
        body = b"".join(
            self._proposal_message(epoch, struct.pack(">HI", PROPOSAL_REMOVE, leaf)) for leaf in leaf_indices
        )
        return b"\x00" + vec(body)


def _skip_leaf_node(r: Reader) -> None:
    r.vec()  # encryption_key
    r.vec()  # signature_key
    r.u16()  # credential type (basic)
    r.vec()  # identity
    for _ in range(5):  # capabilities: versions, ciphersuites, extensions, proposals, credentials
        r.vec()
    source = r.u8()
    if source == 1:
        r.take(16)  # lifetime
    elif source == 3:
        r.vec()  # parent_hash
    r.vec()  # extensions
    r.vec()  # signature


def split_commit_welcome(payload: bytes, group_id: int) -> CommitWelcome:
    """Split an op-28 payload (after the opcode) into the commit MLSMessage and an optional Welcome."""
    r = Reader(payload)
    if r.u16() != MLS10 or r.u16() != WIRE_PUBLIC_MESSAGE:
        raise MlsDecodeError("commit is not an MLS 1.0 PublicMessage")
    if r.vec() != group_id.to_bytes(8, "big"):
        raise MlsDecodeError("commit for another group")
    epoch = r.u64()
    if r.u8() != SENDER_MEMBER:
        raise MlsDecodeError("commit not sent by a member")
    leaf = r.u32()
    r.vec()  # authenticated_data
    if r.u8() != CONTENT_COMMIT:
        raise MlsDecodeError("not a commit")
    proposals = r.vec()
    refs = _count_proposal_refs(proposals)
    if r.u8() == 1:
        _skip_leaf_node(r)
        r.vec()  # UpdatePathNode list
    r.vec()  # signature
    r.vec()  # confirmation_tag
    r.vec()  # membership_tag
    welcome = payload[r.pos :] or None
    return CommitWelcome(payload[: r.pos], welcome, epoch, leaf, refs)


def _count_proposal_refs(proposals: bytes) -> int:
    """Count ProposalOrRef entries; DAVE commits carry references only (type 2)."""
    r = Reader(proposals)
    count = 0
    while r.pos < len(proposals):
        kind = r.u8()
        if kind != 2:
            raise MlsDecodeError("commit carries an inline proposal")
        r.vec()
        count += 1
    return count
