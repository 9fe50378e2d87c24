"""``python -m sandbox``: encore against the local Discord, with a page in the browser (see ``sandbox/app.py``).

``./scripts/run`` starts it when no Discord token is set, after starting Redis; settings are read from ENCORE_*.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path

from sandbox.app import run
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


async def main() -> None:
    settings = Settings()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await run(settings, ROOT, stop)


if __name__ == "__main__":
    asyncio.run(main())
