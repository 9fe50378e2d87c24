"""Snowflake ids derived from the current time, as Discord makes them."""

from __future__ import annotations

import time
from typing import Final

DISCORD_EPOCH_MS: Final = 1_420_070_400_000


class Snowflakes:
    """Makes unique, increasing snowflakes: ``(unix_ms - epoch) << 22 | counter``."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        now = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        value = max(now, self._last + 1)
        self._last = value
        return value


def snowflake_time_ms(snowflake: int) -> int:
    """Unix milliseconds encoded in a snowflake."""
    return (snowflake >> 22) + DISCORD_EPOCH_MS
