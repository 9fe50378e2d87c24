"""Events from workers to gateways, carried by the events stream, and voice requests from workers to the gateway."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Final, Literal

from pydantic import Field, TypeAdapter, field_validator, model_validator

from shared.failures import Problem, Stop, StopKind, without_prose
from shared.models import MAX_URL_LENGTH, QueueItem, SkipSegment, Snowflake, WireModel


class TrackEndReason(StrEnum):
    """Why a track stopped."""

    FINISHED = "finished"
    FAILED = "failed"
    SKIPPED = "skipped"
    REPLACED = "replaced"
    STOPPED = "stopped"


class PlaybackFailure(StrEnum):
    """Why a track was skipped without playing (to its end); the gateway puts it in words."""

    UNAVAILABLE = "unavailable"
    """Resolving gave no stream; `TrackFailed.problem` says why."""
    UNREADABLE = "unreadable"
    """The stream holds nothing FFmpeg can decode (not audio, empty, truncated, refused)."""
    TIMED_OUT = "timed_out"
    """The server sent no audio in time."""
    BROKE_OFF = "broke_off"
    """The stream failed while playing (reset, stalled, changed its answer)."""
    CRASHED = "crashed"
    """The player failed on this item again and again."""
    INTERRUPTED = "interrupted"
    """The worker that was opening it stopped; it is not retried (it may be what stopped the worker)."""


class EventBase(WireModel):
    guild_id: Snowflake
    at_ms: int = Field(ge=0)
    text_channel_id: Snowflake | None = None


class TrackStarted(EventBase):
    kind: Literal["track_started"] = "track_started"
    item: QueueItem
    position_ms: int = Field(default=0, ge=0)
    paused: bool = False


class TrackEnded(EventBase):
    kind: Literal["track_ended"] = "track_ended"
    item: QueueItem
    reason: TrackEndReason


class TrackFailed(EventBase):
    kind: Literal["track_failed"] = "track_failed"
    item: QueueItem
    failure: PlaybackFailure = PlaybackFailure.UNAVAILABLE
    problem: Problem | None = None
    """For UNAVAILABLE: why resolving gave no stream (None: unknown)."""

    @model_validator(mode="before")
    @classmethod
    def _older_release(cls, data: object) -> object:
        """Events of older workers (still in the stream) carried an `error` text: dropped."""
        return without_prose(data, "error")


class SubstitutionReason(StrEnum):
    """Why smart fallback replaced a queued link with a search result; the gateway puts it in words."""

    GONE = "gone"
    """The link's page or media no longer exists (HTTP 404 or 410)."""
    UNSUPPORTED = "unsupported"
    """The link is on a site (or is a file) nothing in encore can stream from."""
    NOT_A_URL = "not_a_url"
    """What was queued as a link is not one yt-dlp can read."""
    BLOCKED = "blocked"
    """Its provider refuses this worker (bot check, sign-in, PO token, 403, rate limit, geo-block): the same song was
    found on the next provider of the chain."""


class TrackSubstituted(EventBase):
    """Smart fallback replaced a broken link with a search result."""

    kind: Literal["track_substituted"] = "track_substituted"
    item: QueueItem
    broken_url: str = Field(max_length=MAX_URL_LENGTH)
    reason: SubstitutionReason
    detail: str = Field(default="", max_length=200)
    """What the site answered, for logs and curious members (e.g. "HTTP 404"); never needed for the wording."""


class PlaylistProgress(EventBase):
    kind: Literal["playlist_progress"] = "playlist_progress"
    request_id: str = Field(max_length=64)
    title: str | None = Field(default=None, max_length=256)
    queued: int = Field(ge=0)
    total: int | None = Field(default=None, ge=0)
    done: bool = False
    stopped: Stop | None = None
    """Why ingestion stopped early (queue full, per-user share, cap, a failed load), if it did."""

    @model_validator(mode="before")
    @classmethod
    def _older_release(cls, data: object) -> object:
        """Older workers put a `stopped_reason` text: it becomes a stop of unknown cause (generic words)."""
        if isinstance(data, dict) and "stopped_reason" in data:
            legacy = dict(data)
            if legacy.pop("stopped_reason") and "stopped" not in legacy:
                legacy["stopped"] = {"kind": StopKind.UNKNOWN.value}
            return legacy
        return data


class PlayerUpdated(EventBase):
    """Pause, volume, loop, filters or seek changed; the now-playing message should refresh."""

    kind: Literal["player_updated"] = "player_updated"


class SegmentSkipped(EventBase):
    """A SponsorBlock segment of the now-playing item was skipped; `first` for the item's first skip."""

    kind: Literal["segment_skipped"] = "segment_skipped"
    item: QueueItem
    segment: SkipSegment
    first: bool = True


class QueueFinished(EventBase):
    kind: Literal["queue_finished"] = "queue_finished"


class LeaveReason(StrEnum):
    ASKED = "asked"
    """A member used /leave (or /stop with leave)."""
    IDLE = "idle"
    """Nothing was left to play for the idle timeout."""
    ALONE = "alone"
    """Everybody else left the voice channel for the idle timeout."""


class PlayerLeft(EventBase):
    kind: Literal["player_left"] = "player_left"
    reason: LeaveReason | None = None
    """None: not known (an event of an older worker, which wrote the reason as text)."""

    @field_validator("reason", mode="before")
    @classmethod
    def _older_release(cls, value: object) -> object:
        return value if value is None or value in LeaveReason._value2member_map_ else None


Event = Annotated[
    TrackStarted
    | TrackEnded
    | TrackFailed
    | TrackSubstituted
    | PlaylistProgress
    | PlayerUpdated
    | SegmentSkipped
    | QueueFinished
    | PlayerLeft,
    Field(discriminator="kind"),
]

EVENT_ADAPTER: Final[TypeAdapter[Event]] = TypeAdapter(Event)


class VoiceStateRequest(WireModel):
    """A worker asks the gateway to send a voice state update (op 4): join, move (channel set) or leave (None)."""

    guild_id: Snowflake
    channel_id: Snowflake | None
    fence: int = Field(ge=0)
    """The requesting owner's fence; the gateway drops requests from deposed owners."""
    self_deaf: bool = True
    at_ms: int = Field(default=0, ge=0)
    request_id: str | None = Field(default=None, min_length=1, max_length=64)
    """Names this request; the gateway tags the voice credentials that follow it with this id, so the requesting
    session can tell the answers to its latest request from updates that belong to an earlier one."""
