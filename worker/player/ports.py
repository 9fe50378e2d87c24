"""The narrow interfaces a guild player depends on: stream resolution, audio output, voice, the lease, and where
its position checkpoints go."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from enum import StrEnum
from typing import Protocol

from shared.models import Equalizer, FilterChain, PlayerState, QueueItem, SkipSegment, Track
from worker.audio.stream import PlayableStream
from worker.resolve.models import StreamResult
from worker.voice.connection import VoiceStatus

type TrackEndListener = Callable[[str, str | None], None]
"""Called with a track's key when it left the audio output: with None when it finished (or was stopped or
replaced), else with why it broke off. Called on the loop as the frame clock hands the end over: it must return
at once."""

type SpliceListener = Callable[[str, int, int], None]
"""Called with a track's key and the source positions it jumped from and to, when it passed a prepared splice.
Called on the loop as the frame clock hands the splice over: it must return at once."""


class StreamSource(Protocol):
    async def stream_for(self, guild_id: int, item: QueueItem) -> StreamResult:
        """The stream to play `item` with (or a substitute's, with why), or the error to fail it with."""
        ...

    async def prefetch(self, guild_id: int, item: QueueItem) -> None: ...


class SegmentSource(Protocol):
    """The SponsorBlock segments (every category, merged, sorted) of an item's video."""

    def applies(self, item: QueueItem) -> bool:
        """Whether the item is a video segments are known for (a YouTube video)."""
        ...

    async def known(self, item: QueueItem) -> tuple[SkipSegment, ...] | None:
        """What the cache holds (quick: no request); None when nothing is known yet."""
        ...

    async def fetch(self, item: QueueItem) -> tuple[SkipSegment, ...] | None:
        """From the cache or the API; None when the API could not be asked."""
        ...


class RelatedTracks(Protocol):
    async def related(self, seeds: Sequence[Track], exclude: Collection[Track], limit: int) -> list[Track]:
        """Up to `limit` tracks like `seeds` (the newest first), none of `exclude`; [] when none are found."""
        ...


class Playback(Protocol):
    """One track playing (or paused) on a guild's audio output."""

    @property
    def position_ms(self) -> int:
        """Position in the source's timeline."""
        ...

    async def first_frame(self) -> bool:
        """Wait until the track's first frame went out: True, or False when it ended before one did."""
        ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    async def stop(self) -> None: ...


class AudioOutput(Protocol):
    """A guild's audio output: tracks on the worker's pacer, sent to the guild's voice connection.

    A track is identified by a key; starting a key that is playing swaps its pipeline (new filters, equalizer,
    volume) at a frame boundary without a gap, starting another key replaces the playing track.
    """

    async def start(  # noqa: PLR0913 - keyword-only, each one a property of the pipeline
        self,
        stream: PlayableStream,
        *,
        key: str,
        position_ms: int,
        filters: FilterChain,
        equalizer: Equalizer,
        volume: int,
        paused: bool,
        ready: Awaitable[object] | None = None,
    ) -> Playback:
        """Open the pipeline, then wait for `ready` (the voice connection) before its first frame is sent."""
        ...

    def on_track_end(self, listener: TrackEndListener) -> None:
        """Report every end of a track to `listener`, in the step the frame clock hands it over (no task in between)."""
        ...

    async def prepare_next(
        self,
        stream: PlayableStream,
        *,
        key: str,
        filters: FilterChain,
        equalizer: Equalizer,
        volume: int,
        position_ms: int = 0,
    ) -> None:
        """Open the following track (from `position_ms`) so it starts on the frame after the current one ends."""
        ...

    def promote_next(self, key: str) -> Playback | None:
        """Start the prepared track `key` now; None when it is not the prepared one."""
        ...

    def adopt(self, key: str) -> Playback | None:
        """The playback of `key` if it is playing (it began gaplessly); None otherwise."""
        ...

    def clear_next(self) -> None: ...

    def on_splice(self, listener: SpliceListener) -> None:
        """Report every splice the playing track passed to `listener`, in the step it happens."""
        ...

    async def prepare_splice(  # noqa: PLR0913 - keyword-only, each one a property of the pipeline
        self,
        stream: PlayableStream,
        *,
        key: str,
        at_ms: int,
        resume_ms: int | None,
        filters: FilterChain,
        equalizer: Equalizer,
        volume: int,
    ) -> bool:
        """At `at_ms` of the playing `key` continue gaplessly from `resume_ms` (a pipeline opened now), or with
        None finish the track there; False when `key` is no longer playing."""
        ...

    def clear_splice(self) -> None: ...

    def hold(self, reason: HoldReason, held: bool) -> None:
        """Hold playback (keeping the position) while any reason holds: voice down, lease not renewed in time."""
        ...

    async def close(self) -> None: ...


class HoldReason(StrEnum):
    VOICE = "voice down"
    LEASE = "lease not renewed in time"


class VoicePort(Protocol):
    """The player's view of the guild's voice connection."""

    async def connect(self, channel_id: int) -> None: ...

    async def refresh(self) -> None:
        """New credentials were stored by the gateway: pick them up."""
        ...

    def status(self) -> VoiceStatus: ...

    async def wait_ready(self, timeout_s: float) -> bool:
        """Wait until voice is connected (woken by the voice session, not polled); False on timeout or when the
        connection gave up (failed, needs a rejoin, closed)."""
        ...

    async def disconnect(self, *, leave: bool) -> None: ...


class LeaseView(Protocol):
    """What the player knows of its lease: whether it may still act (self-fencing)."""

    @property
    def fence(self) -> int: ...

    def valid(self) -> bool:
        """False once the lease may have expired: stop sending audio and writing state at once."""
        ...

    @property
    def lost(self) -> bool:
        """True once a renewal found the lease taken over: the guild is another worker's now."""
        ...

    @property
    def handed_over(self) -> bool:
        """True when the previous owner announced that it released the guild (a graceful stop)."""
        ...


class Checkpoints(Protocol):
    """Where a playing guild's periodic position checkpoints are written (the worker batches them into its lease
    renewals: worker/ownership/checkpoints.py). Every checkpoint is fenced by the token it is offered with."""

    async def offer(
        self,
        guild_id: int,
        fence: int,
        state: PlayerState,
        refused: Callable[[], None],
        *,
        position: Callable[[], int | None] | None = None,
    ) -> None:
        """Write `state` (now or with the worker's next tick); `refused` is called once the fence turned it down.

        `position` is where the track that played at the offer is when the state is written (None once another or
        none plays): a checkpoint that waits for the tick still stores the position of that moment."""
        ...

    async def settle(self, guild_id: int) -> None:
        """Called before any other write of the guild: a checkpoint offered earlier never lands after it."""
        ...
