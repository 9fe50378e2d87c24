"""Errors raised by the audio pipeline; all are `PlaybackError`s, internal to the worker."""

from __future__ import annotations

from shared.errors import PlaybackError


class OggError(PlaybackError):
    """The Ogg/Opus byte stream is malformed (lost sync, bad checksum, truncated, not Opus)."""


class SourceError(PlaybackError):
    """FFmpeg or ffprobe could not produce audio for a track; the message says why."""


class SourceTimeoutError(SourceError):
    """The stream sent no audio (or ffprobe no answer) within the configured time."""


class WebmError(PlaybackError):
    """The WebM/Matroska byte stream is malformed (bad element, truncated, too large, no Opus track)."""


class PassthroughUnavailableError(SourceError):
    """The in-process passthrough cannot play this source (no cues to seek with, an unsupported answer): FFmpeg
    can, so the opener falls back to it. Never raised for a source that is bad."""
