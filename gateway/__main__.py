"""`python -m gateway`: read the settings once, configure logging, serve health, run until SIGTERM or SIGINT.

A Discord connection that cannot be made (network, Discord down) is retried with backoff; the process stays up
and reports not-ready meanwhile. A token Discord refuses stops the process with a message saying what to fix.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from typing import Final

from pydantic import ValidationError

from gateway.app import GatewayApp, Health
from gateway.discord.client import CONNECT_FAILURES, LoginRefused, point_nextcord_at
from gateway.stores.clients import command_client
from shared.keys import Keys
from shared.observability import GatewayMetrics, HealthServer, configure_logging
from shared.settings import Settings

_log: Final = logging.getLogger("gateway")
MISSING_CREDENTIAL_HELP: Final = (
    "encore gateway: no Discord bot token. Set ENCORE_DISCORD_TOKEN to the token of your bot "
    "(Discord developer portal > your application > Bot > Reset Token), then start it again."
)
REFUSED_LOGIN_HELP: Final = (
    "encore gateway: Discord refused the bot token. Check ENCORE_DISCORD_TOKEN (reset the token in the developer "
    "portal if it leaked or changed)."
)
_MAX_BACKOFF_S: Final = 60.0


async def _wait_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def run_with_retries(settings: Settings, stop: asyncio.Event, health: Health, metrics: GatewayMetrics) -> int:
    """Run the gateway; reconnect from scratch with backoff while Discord cannot be reached."""
    backoff = 1.0
    while not stop.is_set():
        app = GatewayApp(settings, health, metrics)
        try:
            await app.run(stop)
            return 0
        except LoginRefused:
            _log.critical(REFUSED_LOGIN_HELP)
            return 2
        except CONNECT_FAILURES as exc:
            _log.warning("cannot reach Discord (%s); retrying in %.0f s", exc, backoff)
        await _wait_or_stop(stop, backoff)
        backoff = min(backoff * 2, _MAX_BACKOFF_S)
    return 0


async def serve(settings: Settings) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    health, metrics = Health(), GatewayMetrics()
    port = settings.gateway.health_port
    if port is None:
        return await run_with_retries(settings, stop, health, metrics)
    probe = command_client(settings.redis, Keys(settings.redis.key_prefix))

    async def ready() -> bool:
        return health.ready

    server = HealthServer(host="0.0.0.0", port=port, metrics=metrics, redis=probe, ready=ready)  # noqa: S104
    await server.start()
    try:
        return await run_with_retries(settings, stop, health, metrics)
    finally:
        await server.stop()
        await probe.aclose(close_connection_pool=True)


def main() -> None:
    try:
        settings = Settings()
    except ValidationError as exc:
        sys.exit(f"encore gateway: invalid settings:\n{exc}")
    if not settings.has_token:
        sys.exit(MISSING_CREDENTIAL_HELP)
    configure_logging(settings, service="gateway")
    point_nextcord_at(settings.gateway.discord_api_base)
    _log.info("starting the gateway (REST base %s)", settings.gateway.discord_api_base)
    code = 0
    with contextlib.suppress(KeyboardInterrupt):
        code = asyncio.run(serve(settings))
    sys.exit(code)


if __name__ == "__main__":
    main()
