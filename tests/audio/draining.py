"""Reading a FrameSource dry as fast as it gives frames: for tests that check what a source yields, not when."""

from __future__ import annotations

import asyncio

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
