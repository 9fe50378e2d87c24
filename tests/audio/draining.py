"""Helpers shared by the audio tests."""

from __future__ import annotations

import asyncio
from pathlib import Path

from worker.audio.frames import FrameSource


async def drain(source: FrameSource, timeout_s: float = 20.0, limit: int | None = None) -> list[bytes]:
    """Read frames as fast as they come until the source is exhausted (or `limit` frames were read)."""
    frames: list[bytes] = []
    async with asyncio.timeout(timeout_s):
        while limit is None or len(frames) < limit:
            frame = source.read_frame()
            if frame is not None:
                frames.append(frame)
            elif source.exhausted:
                break
            else:
                await asyncio.sleep(0.002)
    return frames


def process_exists(pid: int) -> bool:
    """True while `pid` exists, zombies included."""
    return Path(f"/proc/{pid}").exists()


def write_file(path: Path, data: bytes) -> str:
    path.write_bytes(data)
    return str(path)
