"""One guild's voice connection: credentials and the reconnect state machine, over a voice transport.

Voice updates belong to a request. Every voice-state request the session makes (join, move, rejoin after a dead
session, leave) carries a fresh id, and the gateway tags the credentials it forwards with the id of the request it
carried out last for the guild (``VoiceCredentials.request_id``). The session acts only on credentials tagged with
its own latest request: anything else follows an earlier request, of this session or of an earlier owner's, and can
never complete a handshake, move, close or silence the connection. The case this exists for: a /leave stores
channel-less credentials and announces them in the guild's command stream after the leaving owner's last cursor;
the owner of the next /play reads that stream from there, and fed those credentials to its brand-new session just
as it started to join. They looked like a kick, and the fresh connection was closed with 4000 and never reopened
(about one rapid /leave → /play in 20–60). A new request id also replaces what used to guard a rejoin against the
dead session's token, and an owner taking over no longer opens the old owner's credentials before its own.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from enum import StrEnum
from typing import Final

from shared.models import VoiceCredentials
from worker.audio.frames import SILENCE_FRAME
from worker.voice.connection import (
    RequestVoiceState,
    StateListener,
    VoiceClosedError,
    VoiceEvent,
    VoiceStats,
    VoiceStatus,
    VoiceTimings,
    new_request_id,
)
from worker.voice.policy import UNRESPONSIVE, CloseAction, action_for_close, explain_failure, is_complete, same_session
from worker.voice.speaker import Speaker
from worker.voice.transport import VoiceTransport

_log: Final = logging.getLogger(__name__)
_OGG_HEADERS: Final = frozenset({b"OpusHead", b"OpusTags"})
_LOG_LEVELS: Final = {VoiceStatus.FAILED: logging.ERROR, VoiceStatus.NEEDS_REJOIN: logging.WARNING}


class _Step(StrEnum):
    REQUEST = "request"
    WAIT_FRESH = "wait_fresh"
    WAIT_MOVE = "wait_move"
    OPEN = "open"
    POLL = "poll"
    RESUME = "resume"
    DONE = "done"


_REACTIONS: Final = {
    CloseAction.RESUME: (VoiceStatus.RECONNECTING, _Step.RESUME, "resuming"),
    CloseAction.STOP: (VoiceStatus.CLOSED, _Step.DONE, "closed by Discord"),
    CloseAction.WAIT_FOR_CREDENTIALS: (VoiceStatus.RECONNECTING, _Step.WAIT_MOVE, "waiting for new voice credentials"),
    CloseAction.FAIL: (VoiceStatus.FAILED, _Step.DONE, ""),
}
"""How the session reacts to each close action but REJOIN (which also asks the gateway for a voice state)."""


class VoiceSession:
    """A :class:`~worker.voice.connection.VoiceConnection` over a :class:`VoiceTransport`."""

    def __init__(
        self,
        guild_id: int,
        transport: VoiceTransport,
        request_voice_state: RequestVoiceState,
        *,
        on_state: StateListener | None = None,
        timings: VoiceTimings | None = None,
    ) -> None:
        self._guild_id = guild_id
        self._transport = transport
        self._request = request_voice_state
        self._on_state = on_state
        self._timings = timings or VoiceTimings()
        self._loop = asyncio.get_running_loop()
        self._extra: Final = {"guild_id": guild_id}
        self._stats = VoiceStats()
        self._event = VoiceEvent(VoiceStatus.CLOSED)
        self._status_changed = asyncio.Event()
        self._runner: asyncio.Task[None] | None = None
        self._step = _Step.DONE
        self._channel_id: int | None = None
        self._failures = 0
        self._connected_at: float | None = None
        # Credentials: the newest fed that follow our latest request, and the ones the current connection uses.
        self._latest: VoiceCredentials | None = None
        self._latest_version = 0
        self._active: VoiceCredentials | None = None
        self._active_version = 0
        self._request_id = new_request_id()  # no request carried it yet: until connect(), nothing fed counts
        self._kicked = False
        self._credentials_fed = asyncio.Event()
        self._speaker = Speaker(transport, self._timings, self._stats, loop=self._loop)

    # ---- VoiceConnection -------------------------------------------------------------------------------------

    @property
    def guild_id(self) -> int:
        return self._guild_id

    @property
    def channel_id(self) -> int | None:
        return self._channel_id

    @property
    def stats(self) -> VoiceStats:
        return self._stats

    @property
    def last_event(self) -> VoiceEvent:
        return self._event

    def status(self) -> VoiceStatus:
        return self._event.status

    def is_connected(self) -> bool:
        return self._event.status is VoiceStatus.CONNECTED and self._transport.is_open()

    async def connect(self, channel_id: int) -> None:
        running = self._runner is not None and not self._runner.done()
        if running and channel_id == self._channel_id:
            return
        self._channel_id = channel_id
        self._request_id = new_request_id()
        if running:
            # A move: the gateway forwards new credentials and the running task follows them.
            await self._request_quietly(channel_id)
            return
        self._kicked = False
        self._failures = 0
        self._step = _Step.REQUEST  # now, not when the task first runs: feed_credentials reads it in between
        self._set_status(VoiceStatus.CONNECTING, detail=f"joining channel {channel_id}")
        self._runner = self._loop.create_task(self._run(_Step.REQUEST), name=f"voice-{self._guild_id}")

    async def feed_credentials(self, credentials: VoiceCredentials) -> None:
        if credentials.guild_id != self._guild_id:
            _log.warning("ignoring voice credentials for guild %d", credentials.guild_id, extra=self._extra)
            return
        if credentials.request_id != self._request_id:
            # An earlier request's (this session's or an earlier owner's): see the module docstring.
            _log.info("ignoring voice credentials that follow an earlier voice-state request", extra=self._extra)
            return
        latest = self._latest
        if (
            latest is not None
            and latest.request_id == credentials.request_id
            and credentials.updated_at_ms < latest.updated_at_ms
        ):
            _log.info("ignoring voice credentials older than the last ones", extra=self._extra)
            return
        self._latest = credentials
        self._latest_version += 1
        self._credentials_fed.set()
        if self._runner is None or self._runner.done():
            return
        if credentials.channel_id is None:
            # While we wait for our request's answer nothing of ours is open: the wait just finds no credentials.
            # Anywhere else it means we were disconnected.
            if self._step not in (_Step.REQUEST, _Step.WAIT_FRESH):
                self._kicked = True
                await self._transport.close(UNRESPONSIVE)
        elif self._step is _Step.POLL and self._moved():
            await self._transport.close(UNRESPONSIVE)

    async def wait_connected(self, timeout_s: float) -> bool:
        try:
            async with asyncio.timeout(timeout_s):
                while self._event.status is not VoiceStatus.CONNECTED:
                    if self._gave_up():
                        return False
                    self._status_changed.clear()
                    await self._status_changed.wait()
        except TimeoutError:
            return False
        return True

    def send_opus(self, packet: bytes) -> None:
        if packet[:4] == b"Opus" and packet[:8] in _OGG_HEADERS:
            self._stats.headers_dropped += 1
            return
        if not self._transport.is_open():
            self._stats.frames_dropped += 1
            return
        speaker = self._speaker
        if not speaker.wanted:
            speaker.set(True)
        if self._transport.send_opus(packet):
            self._stats.frames_sent += 1
            speaker.trailing_silence = speaker.trailing_silence + 1 if packet == SILENCE_FRAME else 0
        else:
            self._stats.frames_dropped += 1

    def set_speaking(self, on: bool) -> None:
        self._speaker.set(on)

    async def disconnect(self, *, leave: bool) -> None:
        runner, self._runner = self._runner, None
        if runner is not None and not runner.done():
            runner.cancel()
            await asyncio.wait({runner})
        await self._speaker.close()
        await self._transport.release()
        self._set_status(VoiceStatus.CLOSED, detail="left the channel" if leave else "disconnected")
        if leave:
            self._channel_id = None
            self._request_id = new_request_id()
            await self._request_quietly(None)

    # ---- the state machine -----------------------------------------------------------------------------------

    async def _run(self, step: _Step) -> None:
        try:
            while step is not _Step.DONE:
                self._step = step
                step = await self._advance(step)
        except Exception:  # noqa: BLE001 - the outermost layer of the guild's voice task: report it, never die silently
            _log.exception("the voice task crashed", extra=self._extra)
            await self._transport.release()
            self._set_status(VoiceStatus.FAILED, detail="the voice task crashed")
        finally:
            self._step = _Step.DONE

    async def _advance(self, step: _Step) -> _Step:
        handlers = {
            _Step.REQUEST: self._ask_for_voice_state,
            _Step.WAIT_FRESH: self._await_fresh_credentials,
            _Step.WAIT_MOVE: self._await_moved_credentials,
            _Step.OPEN: self._open,
            _Step.POLL: self._poll,
            _Step.RESUME: self._resume,
        }
        return await handlers[step]()

    async def _ask_for_voice_state(self) -> _Step:
        if self._channel_id is None:
            return _Step.DONE
        try:
            async with asyncio.timeout(self._timings.credentials_timeout_s):
                await self._request(self._channel_id, self._request_id)
        except Exception:  # noqa: BLE001 - an injected callback (Redis underneath): any failure is retried
            _log.warning("could not ask the gateway for a voice state", exc_info=True, extra=self._extra)
            return await self._retry(_Step.REQUEST, "could not ask the gateway for a voice state")
        self._stats.voice_state_requests += 1
        return _Step.WAIT_FRESH

    async def _await_fresh_credentials(self) -> _Step:
        if await self._wait_for(self._fresh_ready, self._timings.credentials_timeout_s):
            return _Step.OPEN
        detail = f"no voice credentials within {self._timings.credentials_timeout_s:g} s of asking the gateway"
        self._set_status(VoiceStatus.NEEDS_REJOIN, detail=detail)
        return _Step.DONE

    async def _await_moved_credentials(self) -> _Step:
        found = await self._wait_for(lambda: self._kicked or self._moved(), self._timings.server_move_timeout_s)
        if self._kicked:
            return self._closed_by_kick()
        if found:
            return _Step.OPEN
        detail = f"disconnected and no new voice credentials within {self._timings.server_move_timeout_s:g} s"
        self._set_status(VoiceStatus.NEEDS_REJOIN, self._stats.last_close_code, detail)
        return _Step.DONE

    async def _open(self) -> _Step:
        credentials = self._latest
        if credentials is None or not is_complete(credentials):
            return _Step.REQUEST
        self._active, self._active_version = credentials, self._latest_version
        self._channel_id = credentials.channel_id  # a moderator may have moved us: rejoin where we are
        self._stats.ws_connections += 1
        try:
            await self._transport.open(credentials)
        except VoiceClosedError as exc:
            return await self._after_close(exc.code, handshake=True)
        self._on_connected("connected")
        return _Step.POLL

    async def _poll(self) -> _Step:
        if self._kicked or self._moved():
            await self._transport.close(UNRESPONSIVE)
            code = UNRESPONSIVE
        else:
            code = await self._transport.run_until_closed()
        return await self._after_close(code)

    async def _resume(self) -> _Step:
        self._stats.ws_connections += 1
        if await self._transport.resume():
            self._stats.resumes += 1
            self._on_connected("resumed")
            return _Step.POLL
        return await self._retry(_Step.OPEN, "could not resume the voice session")

    async def _after_close(self, code: int, *, handshake: bool = False) -> _Step:
        self._stats.last_close_code = code
        self._reset_failures_if_stable()
        if self._kicked:
            return self._closed_by_kick()
        if self._moved():
            self._set_status(VoiceStatus.RECONNECTING, code, "following new voice credentials")
            return _Step.OPEN
        action = action_for_close(code)
        if handshake and action is CloseAction.RESUME:
            action = CloseAction.REJOIN  # nothing to resume: the handshake itself failed
        if action is not CloseAction.REJOIN:
            status, step, detail = _REACTIONS[action]
            self._set_status(status, code, detail or explain_failure(code))
            return step
        self._set_status(VoiceStatus.RECONNECTING, code, "asking for a fresh voice state")
        self._request_id = new_request_id()  # the dead session's credentials follow the previous request
        return await self._retry(_Step.REQUEST, f"voice session ended with {code}", code)

    # ---- helpers ---------------------------------------------------------------------------------------------

    async def _retry(self, step: _Step, detail: str, code: int | None = None) -> _Step:
        self._failures += 1
        if self._failures > self._timings.max_failures:
            self._set_status(VoiceStatus.FAILED, code, f"{detail}; gave up after {self._failures - 1} retries")
            return _Step.DONE
        if self._failures > 1:  # the first retry is immediate: one 4006 should not cost an audible backoff
            delay = self._timings.backoff_initial_s * 2 ** (self._failures - 2)
            await asyncio.sleep(min(self._timings.backoff_max_s, delay))
        return step

    async def _wait_for(self, ready: Callable[[], bool], timeout_s: float) -> bool:
        try:
            async with asyncio.timeout(timeout_s):
                while not ready():
                    self._credentials_fed.clear()
                    await self._credentials_fed.wait()
        except TimeoutError:
            return False
        return True

    def _fresh_ready(self) -> bool:
        """Complete credentials for our channel that follow our latest voice-state request."""
        latest = self._latest
        return (
            latest is not None
            and latest.request_id == self._request_id
            and is_complete(latest)
            and latest.channel_id == self._channel_id
        )

    def _moved(self) -> bool:
        """Complete credentials that follow our latest request, newer than and different from the connection's."""
        latest = self._latest
        return (
            latest is not None
            and latest.request_id == self._request_id
            and self._latest_version > self._active_version
            and is_complete(latest)
            and not same_session(latest, self._active)
        )

    def _gave_up(self) -> bool:
        if self._event.status is VoiceStatus.CLOSED:
            return self._runner is None or self._runner.done()
        return self._event.status in (VoiceStatus.FAILED, VoiceStatus.NEEDS_REJOIN)

    def _closed_by_kick(self) -> _Step:
        self._channel_id = None
        self._set_status(VoiceStatus.CLOSED, self._stats.last_close_code, "disconnected from the voice channel")
        return _Step.DONE

    def _on_connected(self, detail: str) -> None:
        self._connected_at = time.monotonic()
        self._set_status(VoiceStatus.CONNECTED, detail=detail)
        self._speaker.session_started()

    def _reset_failures_if_stable(self) -> None:
        if self._connected_at is not None and time.monotonic() - self._connected_at >= self._timings.stable_after_s:
            self._failures = 0
        self._connected_at = None

    async def _request_quietly(self, channel_id: int | None) -> None:
        try:
            async with asyncio.timeout(self._timings.credentials_timeout_s):
                await self._request(channel_id, self._request_id)
        except Exception:  # noqa: BLE001 - an injected callback (Redis underneath): a failure must not break a leave
            _log.warning("could not ask the gateway for a voice state", exc_info=True, extra=self._extra)
        else:
            self._stats.voice_state_requests += 1

    def _set_status(self, status: VoiceStatus, code: int | None = None, detail: str = "") -> None:
        self._event = VoiceEvent(status, code, detail)
        self._status_changed.set()
        level = _LOG_LEVELS.get(status, logging.INFO)
        _log.log(level, "voice %s (close code %s): %s", status.value, code, detail, extra=self._extra)
        if self._on_state is not None:
            try:
                self._on_state(self._event)
            except Exception:  # noqa: BLE001 - an injected listener must not break the voice task
                _log.exception("the voice state listener failed", extra=self._extra)
