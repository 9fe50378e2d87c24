"""The error hierarchy.

    EncoreError
    ├── UserFacingError          text safe to show a Discord user (ephemeral)
    │   ├── InvalidInputError    an option that does not parse or is out of range
    │   ├── PermissionDeniedError
    │   ├── RateLimitedError
    │   └── TemporarilyUnavailableError   Redis (or another dependency) is down: try again
    ├── CorruptDataError         a stored value that does not validate (written by an older version or by hand)
    ├── StaleFenceError          a write by an owner whose lease was taken over
    ├── ResolveError             yt-dlp or the URL guard failed (worker internal)
    ├── PlaybackError            FFmpeg or the audio pipeline failed (worker internal)
    └── VoiceError               the voice connection failed (worker internal)

Expected outcomes such as "queue full" or "nothing found" are result values, not exceptions.
"""

from __future__ import annotations


class EncoreError(Exception):
    """Root of encore's errors."""


class UserFacingError(EncoreError):
    """An error whose message is safe and useful to show the user who caused it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInputError(UserFacingError):
    pass


class PermissionDeniedError(UserFacingError):
    pass


class RateLimitedError(UserFacingError):
    pass


class TemporarilyUnavailableError(UserFacingError):
    def __init__(self, message: str = "encore is temporarily unavailable, please try again in a moment.") -> None:
        super().__init__(message)


class CorruptDataError(EncoreError):
    """A value read from Redis does not validate; names the key so an operator can inspect it."""

    def __init__(self, key: str, detail: str) -> None:
        super().__init__(f"corrupt value at {key}: {detail}")
        self.key = key
        self.detail = detail


class StaleFenceError(EncoreError):
    """The writer's fence token is older than the guild's current one: it no longer owns the guild."""

    def __init__(self, guild_id: int, fence: int) -> None:
        super().__init__(f"fence {fence} is stale for guild {guild_id}")
        self.guild_id = guild_id
        self.fence = fence


class ResolveError(EncoreError):
    pass


class PlaybackError(EncoreError):
    pass


class VoiceError(EncoreError):
    pass
