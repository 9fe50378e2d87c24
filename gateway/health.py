"""What the gateway knows about its own readiness: logged in to Discord and its consumers running.

When `health_port` is set, `gateway/__main__.py` serves it with `shared.observability.HealthServer`: `/readyz`
answers 200 only while Redis answers PING and `Health.ready` is true. Liveness (`/healthz`) is the server's own
event-loop monitor, not this object.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Health:
    """Updated by the app, read by the readiness probe. Mutable on purpose: one instance per process."""

    discord_ready: bool = False
    consumers_running: bool = False
    last_event_ms: int = 0

    @property
    def live(self) -> bool:
        return True

    @property
    def ready(self) -> bool:
        return self.discord_ready and self.consumers_running
