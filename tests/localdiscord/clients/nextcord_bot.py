"""Running an unmodified nextcord 3.2.0 ``Client`` against a fake Discord (configuration only)."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Final, override

import aiohttp
import nextcord
import nextcord.gateway
import nextcord.http

from localdiscord.fake_discord import FakeDiscord

READY_TIMEOUT: Final = 15.0


def point_nextcord_at(fake: FakeDiscord) -> str:
    """Set ``nextcord.http.Route.BASE`` to the fake's REST base; returns the previous value."""
    previous = nextcord.http.Route.BASE
    nextcord.http.Route.BASE = fake.rest_base
    return previous


def client_options(fake: FakeDiscord) -> dict[str, object]:
    """Keyword arguments for ``nextcord.Client``: fast readiness and a connector trusting the fake CA."""
    return {
        "intents": nextcord.Intents.default(),
        "guild_ready_timeout": 0.05,
        "connector": aiohttp.TCPConnector(ssl=fake.ssl_context()),
    }


@contextlib.asynccontextmanager
async def running(client: nextcord.Client, fake: FakeDiscord) -> AsyncIterator[nextcord.Client]:
    """Start ``client`` against ``fake``, wait for ``on_ready``, and close it afterwards."""
    previous = point_nextcord_at(fake)
    task = asyncio.create_task(client.start(fake.token), name="nextcord-client")
    try:
        ready = asyncio.create_task(client.wait_until_ready())
        done, _ = await asyncio.wait({ready, task}, timeout=READY_TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:
            ready.cancel()
            if task.done():
                task.result()
            raise TimeoutError("nextcord client did not become ready")
        yield client
    finally:
        await _shutdown(client, task)
        nextcord.http.Route.BASE = previous


async def _shutdown(client: nextcord.Client, task: asyncio.Task[None]) -> None:
    for voice in list(client.voice_clients):
        with contextlib.suppress(Exception):
            await asyncio.wait_for(voice.disconnect(force=True), 5)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(client.close(), 5)
    if not task.done():
        task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
    await _stop_keepalive_threads()


async def _stop_keepalive_threads() -> None:
    """Stop heartbeat threads of websockets nextcord abandoned (it drops a voice socket on reconnect
    without stopping its keep-alive thread, which then calls into the closed event loop)."""
    for thread in threading.enumerate():
        if isinstance(thread, nextcord.gateway.KeepAliveHandler):
            thread.stop()
            await asyncio.to_thread(thread.join, 2.0)


async def wait_for[T](probe: Callable[[], T | None], timeout: float = 10.0) -> T:  # noqa: ASYNC109
    """Poll a condition on the client side."""
    from localdiscord.waiting import wait_until

    return await wait_until(probe, timeout, "a client-side condition")


class TonePCMAudio(nextcord.FFmpegPCMAudio):
    """``FFmpegPCMAudio`` that also closes ffmpeg's stdout pipe on cleanup.

    nextcord 3.2.0 drops the pipe without closing it, which is a ResourceWarning (an error under
    ``filterwarnings = error``) when the garbage collector finds it.
    """

    @override
    def cleanup(self) -> None:
        stdout = self._stdout
        super().cleanup()
        with contextlib.suppress(AttributeError):
            stdout.close()


def make_tone(path: Path, frequency: float = 440.0, seconds: float = 2.0) -> Path:
    """Write a 48 kHz stereo WAV sine tone with ffmpeg."""
    source = f"sine=f={frequency}:d={seconds}"
    command = ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source]
    subprocess.run([*command, "-ar", "48000", "-ac", "2", str(path)], check=True)
    return path


async def join_and_play(client: nextcord.Client, channel_id: int, tone: Path) -> nextcord.VoiceClient:
    """``channel.connect()`` with nextcord's own VoiceClient, then play ``tone``."""
    channel = client.get_channel(channel_id)
    assert isinstance(channel, nextcord.VoiceChannel)
    voice: nextcord.VoiceClient = await channel.connect()
    voice.play(TonePCMAudio(str(tone)))
    return voice
