"""Fault injection settings that the servers consult on every packet or request."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field


@dataclass(slots=True)
class UdpFaults:
    """Drop or delay incoming RTP packets; deterministic for a given ``seed``."""

    loss: float = 0.0
    delay: float = 0.0
    delay_jitter: float = 0.0
    seed: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def __post_init__(self) -> None:
        self._rng.seed(self.seed)

    def drop(self) -> bool:
        return self.loss > 0 and self._rng.random() < self.loss

    def latency(self) -> float:
        if self.delay_jitter <= 0:
            return self.delay
        return self.delay + self._rng.uniform(0.0, self.delay_jitter)


@dataclass(frozen=True, slots=True)
class SlowRoute:
    pattern: re.Pattern[str]
    delay: float
    method: str | None


class Faults:
    """The knobs tests turn: UDP loss/delay and per-route REST delays."""

    def __init__(self) -> None:
        self.udp = UdpFaults()
        self._slow: list[SlowRoute] = []

    def set_udp(self, *, loss: float = 0.0, delay: float = 0.0, delay_jitter: float = 0.0, seed: int = 0) -> None:
        """Drop ``loss`` (0..1) of RTP packets and delay each by ``delay + U(0, delay_jitter)`` seconds."""
        self.udp = UdpFaults(loss=loss, delay=delay, delay_jitter=delay_jitter, seed=seed)

    def slow_rest(self, pattern: str, delay: float, method: str | None = None) -> None:
        """Delay REST replies whose path (after ``/api/v10``) matches the regex ``pattern``."""
        self._slow.append(SlowRoute(re.compile(pattern), delay, method.upper() if method else None))

    def clear(self) -> None:
        self.udp = UdpFaults()
        self._slow.clear()

    def rest_delay(self, method: str, path: str) -> float:
        total = 0.0
        for slow in self._slow:
            if (slow.method is None or slow.method == method) and slow.pattern.search(path):
                total += slow.delay
        return total
