"""How long something blocked this process's event loop: the lateness of a 10 ms timer, the worst since last read."""

from __future__ import annotations

import asyncio


class LoopStallProbe:
    """Measures how late this process's event loop runs a 10 ms timer; `take_max` reads and resets the worst."""

    def __init__(self) -> None:
        self._worst = 0.0

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + 0.01
            await asyncio.sleep(0.01)
            self._worst = max(self._worst, loop.time() - due)

    def take_max(self) -> float:
        worst, self._worst = self._worst, 0.0
        return worst
