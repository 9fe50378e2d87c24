"""A scripted voice transport and a recording gateway callback for the session's state-machine tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from shared.models import VoiceCredentials
from worker.voice.connection import VoiceClosedError, VoiceEvent, VoiceTimings

GUILD = 111
USER = 999
CHANNEL = 222

FAST = VoiceTimings(
    handshake_timeout_s=1.0,
    credentials_timeout_s=0.3,
    server_move_timeout_s=0.3,
    resume_timeout_s=0.5,
    close_timeout_s=0.5,
    max_failures=3,
    backoff_initial_s=0.01,
    backoff_max_s=0.02,
)


def creds(
    token: str | None = "t1",
    endpoint: str | None = "voice-a:443",
    channel_id: int | None = CHANNEL,
    session: str = "s1",
    request_id: str | None = None,
) -> VoiceCredentials:
    return VoiceCredentials(
        guild_id=GUILD,
        user_id=USER,
        channel_id=channel_id,
        session_id=session,
        token=token,
        endpoint=endpoint,
        request_id=request_id,
    )


@dataclass
class FakeTransport:
    """Opens instantly unless told to fail; the test closes it "from the server" with ``server_close``."""

    open_failures: list[int] = field(default_factory=list)
    resume_ok: bool = True
    opened: list[VoiceCredentials] = field(default_factory=list)
    closed_by_us: list[int] = field(default_factory=list)
    frames: list[bytes] = field(default_factory=list)
    spoken: list[bool] = field(default_factory=list)
    resumes: int = 0
    released: int = 0
    _open: bool = False
    _closes: asyncio.Queue[int] = field(default_factory=asyncio.Queue)

    def is_open(self) -> bool:
        return self._open

    async def open(self, credentials: VoiceCredentials) -> None:
        self.opened.append(credentials)
        if self.open_failures:
            raise VoiceClosedError(self.open_failures.pop(0))
        self._drain()
        self._open = True

    async def resume(self) -> bool:
        self.resumes += 1
        self._open = self.resume_ok
        return self.resume_ok

    async def run_until_closed(self) -> int:
        code = await self._closes.get()
        self._open = False
        return code

    async def close(self, code: int) -> None:
        if self._open:
            self.closed_by_us.append(code)
            self._open = False
            self._closes.put_nowait(code)

    async def release(self) -> None:
        self.released += 1
        await self.close(1000)

    def send_opus(self, packet: bytes) -> bool:
        self.frames.append(packet)
        return True

    async def speak(self, on: bool) -> None:
        self.spoken.append(on)

    def server_close(self, code: int) -> None:
        self._closes.put_nowait(code)

    def _drain(self) -> None:
        while not self._closes.empty():
            self._closes.get_nowait()


@dataclass
class Gateway:
    """Records the session's voice-state requests (the worker turns them into VoiceStateRequest on Redis)."""

    requests: list[int | None] = field(default_factory=list)
    request_ids: list[str] = field(default_factory=list)

    async def __call__(self, channel_id: int | None, request_id: str) -> None:
        self.requests.append(channel_id)
        self.request_ids.append(request_id)

    def answer(self, **changes: object) -> VoiceCredentials:
        """Credentials as the gateway forwards them after the latest request: tagged with its id."""
        assert self.request_ids, "no voice-state request yet"
        base = creds().model_copy(update={"request_id": self.request_ids[-1]})
        return base.model_copy(update=changes)


@dataclass
class Events:
    seen: list[VoiceEvent] = field(default_factory=list)

    def __call__(self, event: VoiceEvent) -> None:
        self.seen.append(event)

    def statuses(self) -> list[str]:
        return [event.status.value for event in self.seen]
