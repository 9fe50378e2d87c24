"""The playing track of one guild: starting, swapping and stopping pipelines, and preparing the next track.

The player decides *what* plays (and commits it first); the driver makes it play and reports every end of the
current track to the player's inbox exactly once, in the step the audio output reports it (as the frame clock's
handoff runs it, no task between), tagged with a generation so ends the player already moved past are ignored.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass

from shared.models import PlayerState, QueueItem
from worker.audio.stream import PlayableStream
from worker.player.inbox import SplicePassed, TrackDone
from worker.player.ports import AudioOutput, HoldReason, Playback, VoicePort


@dataclass(frozen=True, slots=True)
class _Prepared:
    uid: str
    key: str
    stream: PlayableStream


class TrackDriver:
    def __init__(
        self,
        guild_id: int,
        *,
        audio: AudioOutput,
        voice: VoicePort,
        on_done: Callable[[TrackDone | SplicePassed], None],
        voice_timeout_s: float,
    ) -> None:
        self._guild_id = guild_id
        self._audio = audio
        self._voice = voice
        self._on_done = on_done
        self._voice_timeout_s = voice_timeout_s
        self._counter = itertools.count(1)
        self.playback: Playback | None = None
        self._stream: PlayableStream | None = None
        self._key: str | None = None
        self._prepared: _Prepared | None = None
        self.generation = 0
        audio.on_track_end(self._track_ended)
        audio.on_splice(self._spliced)

    @property
    def playing(self) -> bool:
        return self.playback is not None

    @property
    def prepared_uid(self) -> str | None:
        return self._prepared.uid if self._prepared else None

    def position_ms(self, default: int) -> int:
        return self.playback.position_ms if self.playback is not None else default

    def position_probe(self) -> Callable[[], int | None]:
        """The position of the track playing now, for as long as it is the one playing (None afterwards)."""
        playback = self.playback

        def probe() -> int | None:
            return playback.position_ms if playback is not None and self.playback is playback else None

        return probe

    async def start(self, uid: str, stream: PlayableStream, position_ms: int, state: PlayerState) -> None:
        """Play a new track (replacing the current one) from `position_ms`; FFmpeg starts while voice connects."""
        self.clear_prepared()
        key = f"{uid}:{next(self._counter)}"
        # Readiness is awaited (the voice session wakes it), from now: FFmpeg opens while voice connects.
        voice = asyncio.create_task(self._voice.wait_ready(self._voice_timeout_s), name=f"voice-{self._guild_id}")
        try:
            playback = await self._audio.start(
                stream, key=key, position_ms=position_ms, filters=state.filters, equalizer=state.equalizer,
                volume=state.volume, paused=state.paused, ready=voice,
            )  # fmt: skip
        finally:
            voice.cancel()
        self._became(playback, stream, key)

    async def restyle(self, state: PlayerState) -> None:
        """Apply new filters, equalizer or volume to the playing track from where it is now, without a gap."""
        if self.playback is None or self._stream is None or self._key is None:
            return
        position = self.playback.position_ms
        playback = await self._audio.start(
            self._stream,
            key=self._key,
            position_ms=position,
            filters=state.filters,
            equalizer=state.equalizer,
            volume=state.volume,
            paused=state.paused,
        )
        self.playback = playback

    async def seek(self, uid: str, position_ms: int, state: PlayerState) -> None:
        if self._stream is not None:
            await self.start(uid, self._stream, position_ms, state)

    def pause(self) -> None:
        if self.playback is not None:
            self.playback.pause()

    def resume(self) -> None:
        if self.playback is not None:
            self.playback.resume()

    def hold(self, reason: HoldReason, held: bool) -> None:
        self._audio.hold(reason, held)

    async def stop(self) -> None:
        """Silence the current track; its end is not reported."""
        self.clear_prepared()
        playback, self.playback = self.playback, None
        self._stream = None
        self._key = None
        if playback is not None:
            self.generation += 1
            await playback.stop()

    def ended(self) -> None:
        """The current track ended by itself (the player got its TrackDone)."""
        self.playback = None

    async def prepare(self, uid: str, stream: PlayableStream, state: PlayerState, position_ms: int = 0) -> None:
        key = f"{uid}:{next(self._counter)}"
        await self._audio.prepare_next(
            stream, key=key, filters=state.filters, equalizer=state.equalizer, volume=state.volume,
            position_ms=position_ms,
        )  # fmt: skip
        self._prepared = _Prepared(uid, key, stream)

    def take_prepared(self, uid: str) -> bool:
        """Continue with the prepared track if it is `uid`: already playing (gapless) or started now (skip)."""
        prepared, self._prepared = self._prepared, None
        if prepared is None or prepared.uid != uid:
            if prepared is not None:
                self._audio.clear_next()
            return False
        playback = self._audio.adopt(prepared.key) or self._audio.promote_next(prepared.key)
        if playback is None:
            return False
        self._became(playback, prepared.stream, prepared.key)
        return True

    async def cut(self, at_ms: int, resume_ms: int | None, state: PlayerState) -> bool:
        """Leave the playing track at `at_ms` for `resume_ms` (a pipeline opened now, no gap), or with None finish
        it there; replaces the cut prepared before. False when nothing (or another track) plays by then."""
        if self.playback is None or self._stream is None or self._key is None:
            return False
        return await self._audio.prepare_splice(
            self._stream, key=self._key, at_ms=at_ms, resume_ms=resume_ms, filters=state.filters,
            equalizer=state.equalizer, volume=state.volume,
        )  # fmt: skip

    def clear_cut(self) -> None:
        self._audio.clear_splice()

    def clear_prepared(self) -> None:
        if self._prepared is not None:
            self._prepared = None
            self._audio.clear_next()

    def _became(self, playback: Playback, stream: PlayableStream, key: str) -> None:
        self.playback = playback
        self._stream = stream
        self._key = key
        self.generation += 1

    def _track_ended(self, key: str, error: str | None) -> None:
        """From the audio output, on the loop: the current track's end goes to the inbox at once."""
        if key == self._key and self.playback is not None:
            self._on_done(TrackDone(self.generation, error))

    def _spliced(self, key: str, from_ms: int, to_ms: int) -> None:
        if key == self._key and self.playback is not None:
            self._on_done(SplicePassed(self.generation, from_ms, to_ms))

    async def close(self) -> None:
        self._key = None
        await self._audio.close()


def next_after(
    current: QueueItem | None, head: QueueItem | None, *, loop_track: bool, loop_queue: bool
) -> QueueItem | None:
    """The item that will follow `current` when it finishes, under the loop mode."""
    if loop_track:
        return current
    if head is None and loop_queue:
        return current
    return head
