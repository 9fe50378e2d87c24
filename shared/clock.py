"""Wall-clock time as encore stores it: integer milliseconds since the Unix epoch (`*_ms` fields and scores)."""

from __future__ import annotations

import time


def now_ms() -> int:
    """Now, in whole milliseconds since the epoch (comparable across processes and machines, unlike monotonic)."""
    return int(time.time() * 1000)
