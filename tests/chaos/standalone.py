"""The whole stack outside pytest (for `make demo` and the soak bench): redis-server with AOF, the fake Discord with
DAVE, the chaos media in a server process, the gateway and workers as real processes."""

from __future__ import annotations

import itertools
import wave
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from redis.asyncio import Redis

from localdiscord.config import FakeConfig
from localdiscord.fake_discord import FakeDiscord
from localdiscord.voice.capture import HeardAudio
from tests.chaos.media import ChaosMedia, make_chaos_media, media_process
from tests.e2e.stack import Stack, started_stack
from tests.services.redis_server import RedisServer
from worker.audio.frames import FRAME_S, FRAME_SAMPLES

BYTES_PER_FRAME = FRAME_SAMPLES * 4  # stereo s16le


@dataclass
class Running:
    stack: Stack
    media: ChaosMedia
    redis_server: RedisServer


@asynccontextmanager
async def running_stack(
    workdir: Path, *, workers: int = 2, fake_config: FakeConfig | None = None
) -> AsyncIterator[Running]:
    """Everything started (workers w1..wN); stopped in reverse order on exit. Logs go to `workdir/logs`."""
    redis_server = RedisServer(data_dir=workdir / "redis", appendonly=True).start()
    make_chaos_media(workdir / "media")
    try:
        async with FakeDiscord(fake_config or FakeConfig()) as fake:
            with media_process(workdir / "media") as base:
                async with (
                    Redis.from_url(redis_server.url, socket_timeout=5) as client,
                    started_stack(fake, client, redis_server.url, workdir / "logs", workers=workers) as stack,
                ):
                    yield Running(stack, ChaosMedia(base), redis_server)
    finally:
        redis_server.stop()


def write_wav(heard: HeardAudio, path: Path, start: float, end: float) -> float:
    """What the listener heard between `start` and `end` as a WAV, silences where no audio arrived; its length."""
    chunks = heard.between(start, end)
    frames: list[bytes] = [c.pcm for c in chunks[:1]]
    for previous, chunk in itertools.pairwise(chunks):
        missing = round((chunk.at - previous.at) / FRAME_S) - 1
        frames.extend(bytes(BYTES_PER_FRAME) for _ in range(max(0, missing)))
        frames.append(chunk.pcm)
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(48_000)
        out.writeframes(b"".join(frames))
    return sum(len(f) for f in frames) / (48_000 * 4)
