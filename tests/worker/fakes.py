"""Hand-written stand-ins for the player's ports (audio output, voice, stream resolution) in narrow unit tests.

The player's state machine runs for real against a real redis-server; only the media side is simulated here.
End-to-end tests run the real audio pipeline, voice adapter and resolver.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Collection, Sequence
from dataclasses import dataclass, field

from shared.events import SubstitutionReason
from shared.failures import Problem, ProblemKind
from shared.models import Equalizer, FilterChain, Matched, QueueItem, SkipSegment, Track
from tests.factories import make_stream
from worker.audio.errors import SourceError
from worker.audio.stream import PlayableStream
from worker.player.ports import HoldReason, SpliceListener, TrackEndListener
from worker.resolve.models import StreamResult
from worker.resolve.related import fresh
from worker.resolve.sponsorblock import video_id
from worker.voice.connection import VoiceStatus


@dataclass
class Start:
    url: str
    position_ms: int
    filters: FilterChain
    volume: int
    paused: bool
    key: str = ""
    equalizer: Equalizer = field(default_factory=Equalizer)


class FakePlayback:
    """Advances in real time from its start position; ends at `length_ms` or when stopped."""

    def __init__(self, start: Start, length_ms: int, on_end: TrackEndListener) -> None:
        self.start = start
        self.length_ms = length_ms
        self._on_end = on_end
        self._ended = False
        self._base_ms = start.position_ms
        self._since = time.monotonic()
        self._paused = start.paused
        self._ender = asyncio.get_running_loop().call_later(self._remaining_s(), self._finish, None)
        if self._paused:
            self._ender.cancel()
        self.stopped = False

    def _remaining_s(self) -> float:
        return max(0.0, (self.length_ms - self.position_ms) / 1000)

    def _finish(self, error: str | None) -> None:
        if not self._ended:
            self._ended = True
            self._on_end(self.start.key, error)

    @property
    def position_ms(self) -> int:
        if self._paused:
            return self._base_ms
        return min(self.length_ms, self._base_ms + int((time.monotonic() - self._since) * 1000))

    def jump(self, position_ms: int) -> None:
        self._base_ms, self._since = position_ms, time.monotonic()

    async def first_frame(self) -> bool:
        """A fake track "sends" from its start."""
        return not self.stopped

    def pause(self) -> None:
        self._base_ms = self.position_ms
        self._paused = True
        self._ender.cancel()

    def resume(self) -> None:
        self._since = time.monotonic()
        self._paused = False
        self._ender = asyncio.get_running_loop().call_later(self._remaining_s(), self._finish, None)

    async def stop(self) -> None:
        self.stopped = True
        self._ender.cancel()


@dataclass
class FakeAudio:
    """Plays keys like GuildAudio: the same key swaps, another key replaces, a prepared key follows gaplessly."""

    length_ms: int = 400
    starts: list[Start] = field(default_factory=list)
    playbacks: list[FakePlayback] = field(default_factory=list)
    prepared: dict[str, Start] = field(default_factory=dict)
    gapless: int = 0
    closed: bool = False
    holds: list[tuple[HoldReason, bool]] = field(default_factory=list)
    holding: set[HoldReason] = field(default_factory=set)
    unopenable: set[str] = field(default_factory=set)
    """URLs whose pipeline fails to open (SourceError), like a file that holds no audio."""
    crashing: set[str] = field(default_factory=set)
    """URLs whose opening raises an unexpected error (a bug): the player crashes."""
    listener: TrackEndListener | None = None
    splices: list[tuple[str, int, int | None]] = field(default_factory=list)
    """Splices prepared (key, at, resume); the fake never passes them (the pacer's tests and the e2e tests do)."""
    splice_listener: SpliceListener | None = None

    def on_splice(self, listener: SpliceListener) -> None:
        self.splice_listener = listener

    async def prepare_splice(
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
        self._open(stream)
        self.splices.append((key, at_ms, resume_ms))
        return True

    def clear_splice(self) -> None:
        self.splices.clear()

    def pass_splice(self) -> None:
        """The playing track reaches its prepared cut: it jumps to the resume position (like the pacer's splice)."""
        key, at_ms, resume_ms = self.splices.pop()
        playback = self.playbacks[-1]
        assert playback.start.key == key and resume_ms is not None
        playback.jump(resume_ms)
        if self.splice_listener is not None:
            self.splice_listener(key, at_ms, resume_ms)

    def on_track_end(self, listener: TrackEndListener) -> None:
        self.listener = listener

    def _ended(self, key: str, error: str | None) -> None:
        if self.listener is not None:
            self.listener(key, error)

    def _open(self, stream: PlayableStream) -> None:
        if stream.url in self.unopenable:
            raise SourceError(f"no audio in {stream.url}")
        if stream.url in self.crashing:
            raise RuntimeError(f"bug while opening {stream.url}")

    async def start(
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
    ) -> FakePlayback:
        self._open(stream)
        if ready is not None:
            await ready
        start = Start(stream.url, position_ms, filters, volume, paused, key, equalizer)
        self.starts.append(start)
        if self.playbacks:
            self.playbacks[-1]._ender.cancel()  # replaced or swapped: the old pipeline never reports an end
        playback = FakePlayback(start, self.length_ms, self._ended)
        self.playbacks.append(playback)
        return playback

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
        self._open(stream)
        self.prepared = {key: Start(stream.url, position_ms, filters, volume, False, key, equalizer)}

    def promote_next(self, key: str) -> FakePlayback | None:
        start = self.prepared.pop(key, None)
        if start is None:
            return None
        self.starts.append(start)
        playback = FakePlayback(start, self.length_ms, self._ended)
        self.playbacks.append(playback)
        self.gapless += 1
        return playback

    def adopt(self, key: str) -> FakePlayback | None:
        return None

    def clear_next(self) -> None:
        self.prepared = {}

    def hold(self, reason: HoldReason, held: bool) -> None:
        """Like GuildAudio: only a change of a reason counts (and is recorded)."""
        if held == (reason in self.holding):
            return
        self.holds.append((reason, held))
        if held:
            self.holding.add(reason)
        else:
            self.holding.discard(reason)
        for playback in self.playbacks[-1:]:
            if held:
                playback.pause()
            else:
                playback.resume()

    async def close(self) -> None:
        self.closed = True


@dataclass
class FakeVoice:
    """Connects at once, unless `answers` is False: then it stays connecting until `become_ready()`."""

    current: VoiceStatus = VoiceStatus.CLOSED
    connects: list[int] = field(default_factory=list)
    refreshes: int = 0
    disconnects: list[bool] = field(default_factory=list)
    answers: bool = True
    status_reads: int = 0
    waiting: int = 0
    """How many `wait_ready` calls are waiting now."""
    _ready: asyncio.Event = field(default_factory=asyncio.Event)

    async def connect(self, channel_id: int) -> None:
        self.connects.append(channel_id)
        if self.answers:
            self.become_ready()
        else:
            self.current = VoiceStatus.CONNECTING

    def become_ready(self) -> None:
        self.current = VoiceStatus.CONNECTED
        self._ready.set()

    async def refresh(self) -> None:
        self.refreshes += 1

    def status(self) -> VoiceStatus:
        self.status_reads += 1
        return self.current

    async def wait_ready(self, timeout_s: float) -> bool:
        if self.current in (VoiceStatus.FAILED, VoiceStatus.CLOSED):
            return False
        self.waiting += 1
        try:
            async with asyncio.timeout(timeout_s):
                await self._ready.wait()
        except TimeoutError:
            return False
        finally:
            self.waiting -= 1
        return True

    async def disconnect(self, *, leave: bool) -> None:
        self.disconnects.append(leave)
        self.current = VoiceStatus.CLOSED
        self._ready.clear()


@dataclass
class FakeStreams:
    broken: set[str] = field(default_factory=set)
    substitutes: dict[str, QueueItem] = field(default_factory=dict)
    prefetched: list[str] = field(default_factory=list)
    matches: dict[str, Matched] = field(default_factory=dict)
    """Mirrored items by track URL: answered with `QueueItem.match` set and the match's stream."""

    async def stream_for(self, guild_id: int, item: QueueItem) -> StreamResult:
        if item.track.url in self.matches:
            match = self.matches[item.track.url]
            return StreamResult(item=item.model_copy(update={"match": match}), stream=make_stream(match.track.url))
        if item.track.url in self.substitutes:
            substitute = self.substitutes[item.track.url]
            stream = make_stream(substitute.track.url)
            return StreamResult(item=substitute, stream=stream, substitution=SubstitutionReason.GONE, detail="HTTP 404")
        if item.track.url in self.broken:
            return StreamResult(item=item, problem=Problem(kind=ProblemKind.NOT_FOUND, http_status=404))
        return StreamResult(item=item, stream=make_stream(item.track.url))

    async def prefetch(self, guild_id: int, item: QueueItem) -> None:
        self.prefetched.append(item.track.url)


@dataclass
class FakeSegments:
    """SponsorBlock segments by the URL heard (`QueueItem.heard`): `cached` ones are known at once, the others
    arrive when `release`d."""

    segments: dict[str, tuple[SkipSegment, ...]] = field(default_factory=dict)
    cached: set[str] = field(default_factory=set)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    fetches: list[str] = field(default_factory=list)

    def applies(self, item: QueueItem) -> bool:
        return video_id(item.heard) is not None

    async def known(self, item: QueueItem) -> tuple[SkipSegment, ...] | None:
        return self.segments.get(item.heard.url) if item.heard.url in self.cached else None

    async def fetch(self, item: QueueItem) -> tuple[SkipSegment, ...] | None:
        self.fetches.append(item.heard.url)
        if item.heard.url not in self.cached:
            await self.release.wait()
        return self.segments.get(item.heard.url, ())


@dataclass
class FakeRelated:
    """`RelatedTracks` over a fixed catalogue: the first `limit` of it that are none of `exclude` (the resolver's own
    exclusion rule); `calls` records each call's seeds' titles and what it excluded."""

    catalogue: list[Track] = field(default_factory=list)
    calls: list[tuple[list[str], list[str]]] = field(default_factory=list)
    gate: asyncio.Event | None = None
    """When set, every answer waits for it (a slow search)."""

    async def related(self, seeds: Sequence[Track], exclude: Collection[Track], limit: int) -> list[Track]:
        self.calls.append(([seed.title for seed in seeds], [track.title for track in exclude]))
        if self.gate is not None:
            await self.gate.wait()
        return fresh(self.catalogue, exclude, limit)


@dataclass
class FixedLease:
    fence: int
    ok: bool = True
    lost: bool = False
    handed_over: bool = False

    def valid(self) -> bool:
        return self.ok
