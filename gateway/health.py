"""What the gateway knows about its own health; a later issue serves it over HTTP on `health_port`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Health:
    """Updated by the app; read by the (future) health endpoint. Mutable on purpose: one instance per process."""

    discord_ready: bool = False
    consumers_running: bool = False
    last_event_ms: int = 0

    @property
    def live(self) -> bool:
        return True

    @property
    def ready(self) -> bool:
        return self.discord_ready and self.consumers_running
