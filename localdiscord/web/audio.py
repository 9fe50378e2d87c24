"""What a simulated member hears, streamed to the page: the bot's Opus frames as that member's client received and
decrypted them (DAVE), one WebSocket binary message per 20 ms frame, never decoded or re-encoded here.

The page decodes them with WebCodecs' ``AudioDecoder`` and plays them through WebAudio. A page that reads slower
than frames arrive loses the oldest frames (the queue is bounded) rather than falling ever further behind.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Final

from aiohttp import WSMsgType, web

from localdiscord.voice.capture import ChannelAudio

QUEUE_FRAMES: Final = 250
"""Five seconds of frames at most waiting for a slow page."""


class ListenerStream:
    """One page listening as ``listener_id`` in one channel, to ``speaker_id`` (the bot)."""

    def __init__(self, audio: ChannelAudio, listener_id: int, speaker_id: int) -> None:
        self.audio = audio
        self.listener_id = listener_id
        self.speaker_id = speaker_id
        self.frames: asyncio.Queue[bytes] = asyncio.Queue(QUEUE_FRAMES)
        self.dropped = 0

    def _take(self, speaker_id: int, opus: bytes, _arrival: float) -> None:
        if speaker_id != self.speaker_id:
            return
        if self.frames.full():
            self.frames.get_nowait()
            self.dropped += 1
        self.frames.put_nowait(opus)

    async def serve(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(heartbeat=20, max_msg_size=4096)
        await socket.prepare(request)
        untap = self.audio.tap(self.listener_id, self._take)
        sender = asyncio.get_running_loop().create_task(self._send(socket))
        try:
            async for message in socket:  # the page sends nothing; this ends when it goes away
                if message.type == WSMsgType.ERROR:
                    break
        finally:
            untap()
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
        return socket

    async def _send(self, socket: web.WebSocketResponse) -> None:
        while not socket.closed:
            frame = await self.frames.get()
            try:
                await socket.send_bytes(frame)
            except ConnectionError:
                return
