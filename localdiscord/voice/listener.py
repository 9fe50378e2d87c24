"""A simulated member listening in a call: its own DAVE (davey/OpenMLS) client, decryptor and decoders."""

from __future__ import annotations

import logging
from typing import Final

import davey

from localdiscord.voice.capture import OGG_MAGIC, SILENCE, ChannelAudio, HeardAudio, PcmChunk
from localdiscord.voice.opus_codec import OpusDecodeError, OpusDecoder
from localdiscord.voice.transport import is_dave_frame

_log: Final = logging.getLogger(__name__)


class Listener:
    """One member in one call. With DAVE it joins the MLS group through welcomes and commits."""

    def __init__(self, user_id: int, channel_id: int, audio: ChannelAudio, dave_version: int) -> None:
        self.user_id = user_id
        self.channel_id = channel_id
        self.audio = audio
        self.dave_version = dave_version
        self.session: davey.DaveSession | None = None
        self.in_group = False
        self._decoders: dict[tuple[int, int], OpusDecoder] = {}
        self._external_sender = b""
        if dave_version > 0:
            self.session = davey.DaveSession(dave_version, user_id, channel_id)

    def set_external_sender(self, package: bytes) -> None:
        self._external_sender = package
        if self.session is not None:
            self.session.set_external_sender(package)

    def reset(self) -> None:
        """Drop the group (the call's group is being re-created)."""
        self.in_group = False
        if self.session is not None:
            self.session.reinit(self.dave_version, self.user_id, self.channel_id)
            if self._external_sender:
                self.session.set_external_sender(self._external_sender)

    def key_package(self) -> bytes:
        assert self.session is not None
        package: bytes = self.session.get_serialized_key_package()
        return package

    @property
    def leaf_index(self) -> int | None:
        if self.session is None:
            return None
        index: int | None = self.session.own_leaf_index
        return index

    def process_proposals(self, op27: bytes) -> None:
        """Take in the SFU's proposals (op-27 payload with the operation byte); our own commit is discarded."""
        if self.session is None or not self.in_group:
            return
        try:
            self.session.process_proposals(davey.ProposalsOperationType.append, op27[1:], None)
        except ValueError:
            _log.exception("listener %s could not process proposals", self.user_id)

    def process_commit(self, commit: bytes) -> bool:
        if self.session is None or not self.in_group:
            return False
        try:
            self.session.process_commit(commit)
        except ValueError:
            _log.exception("listener %s could not process a commit", self.user_id)
            return False
        return True

    def process_welcome(self, welcome: bytes) -> bool:
        if self.session is None:
            return False
        try:
            self.session.process_welcome(welcome)
        except ValueError:
            _log.exception("listener %s could not process a welcome", self.user_id)
            return False
        self.in_group = True
        return True

    def receive(self, speaker_id: int, ssrc: int, frame: bytes, arrival: float) -> None:
        """Hear one media frame (after transport decryption)."""
        if frame == SILENCE or frame.startswith(OGG_MAGIC):
            return
        heard = self.audio.heard_by(self.user_id, speaker_id)
        opus = frame
        if is_dave_frame(frame):
            plain = self._decrypt(speaker_id, frame)
            if plain is None:
                heard.decrypt_failures += 1
                return
            heard.decrypted += 1
            if heard.first_decrypted_at is None:
                heard.first_decrypted_at = arrival
            opus = plain
        else:
            heard.passthrough += 1
            heard.passthrough_times.append(arrival)
        self.audio.tapped(self.user_id, speaker_id, opus, arrival)
        self._decode(heard, (speaker_id, ssrc), opus, arrival)

    def _decrypt(self, speaker_id: int, frame: bytes) -> bytes | None:
        if self.session is None or not self.in_group:
            return None
        try:
            plain: bytes = self.session.decrypt(speaker_id, davey.MediaType.audio, frame)
        except ValueError:
            return None
        return plain

    def _decode(self, heard: HeardAudio, key: tuple[int, int], opus: bytes, arrival: float) -> None:
        decoder = self._decoders.get(key)
        if decoder is None:
            decoder = self._decoders[key] = OpusDecoder()
        try:
            heard.add(PcmChunk(arrival, decoder.decode(opus)))
        except OpusDecodeError:
            heard.decode_failures += 1

    def close(self) -> None:
        for decoder in self._decoders.values():
            decoder.close()
        self._decoders.clear()
