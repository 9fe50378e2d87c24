"""The messages a guild player's loop takes, one at a time and in order: commands, track ends, failures, halts."""

from __future__ import annotations

from dataclasses import dataclass

from shared.command_store import StreamEntry
from shared.models import SkipSegment, Track


@dataclass(frozen=True, slots=True)
class CommandArrived:
    entry: StreamEntry


@dataclass(frozen=True, slots=True)
class TrackDone:
    generation: int
    error: str | None


@dataclass(frozen=True, slots=True)
class SplicePassed:
    """The playing track (of driver generation `generation`) jumped from `from_ms` to `to_ms` on its prepared cut."""

    generation: int
    from_ms: int
    to_ms: int


@dataclass(frozen=True, slots=True)
class SegmentsArrived:
    """The SponsorBlock segments (every category) of item `uid` (playing `url`) were looked up."""

    uid: str
    url: str
    segments: tuple[SkipSegment, ...]


@dataclass(frozen=True, slots=True)
class ItemFailed:
    """Item `uid` could not be played (already announced): move on, in order with the commands around it."""

    uid: str
    detail: str


@dataclass(frozen=True, slots=True)
class Halt:
    """Stop at the next safe point; `handoff` writes a final checkpoint and releases the guild."""

    handoff: bool


@dataclass(frozen=True, slots=True)
class LeaseDoubt:
    """The audio sink refused a frame (the lease was not renewed in time): look at the lease now."""


@dataclass(frozen=True, slots=True)
class CheckpointRefused:
    """A checkpoint sent with the worker's tick was refused by the fence: another worker owns the guild now."""


@dataclass(frozen=True, slots=True)
class RelatedFound:
    """The radio's search `generation` found `tracks` (worker/player/radio.py), to be queued for `requester_id`
    (the seed's requester)."""

    generation: int
    requester_id: int
    tracks: tuple[Track, ...]


Inbox = (
    CommandArrived
    | TrackDone
    | SplicePassed
    | SegmentsArrived
    | ItemFailed
    | Halt
    | LeaseDoubt
    | CheckpointRefused
    | RelatedFound
)
