"""`python -m gateway`: read the settings once, configure logging, run until SIGTERM or SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import logging.config
import signal
import sys
from typing import Any, Final, override

import orjson
from pydantic import ValidationError

from gateway.app import GatewayApp, point_nextcord_at
from shared.settings import Settings

_log: Final = logging.getLogger("gateway")
MISSING_CREDENTIAL_HELP: Final = (
    "encore gateway: no Discord bot token. Set ENCORE_DISCORD_TOKEN to the token of your bot "
    "(Discord developer portal > your application > Bot > Reset Token), then start it again."
)


class RedactSecret(logging.Filter):
    """Never let the bot token reach a log line, whoever logs it."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self._secret = secret

    @override
    def filter(self, record: logging.LogRecord) -> bool:
        if self._secret and self._secret in record.getMessage():
            record.msg = record.getMessage().replace(self._secret, "[token]")
            record.args = None
        return True


class JsonFormatter(logging.Formatter):
    @override
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        guild_id = getattr(record, "guild_id", None)
        if guild_id is not None:
            entry["guild_id"] = guild_id
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry).decode()


class GuildFormatter(logging.Formatter):
    """The plain format, with the guild id appended when the record carries one."""

    @override
    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        guild_id = getattr(record, "guild_id", None)
        return text if guild_id is None else f"{text} [guild {guild_id}]"


def configure_logging(settings: Settings) -> None:
    formatter = "json" if settings.log_json else "plain"
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {
                "plain": {"()": GuildFormatter, "format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
                "json": {"()": JsonFormatter},
            },
            "filters": {"redact": {"()": RedactSecret, "secret": settings.discord_token.get_secret_value()}},
            "handlers": {
                "stderr": {"class": "logging.StreamHandler", "formatter": formatter, "filters": ["redact"]},
            },
            "root": {"level": settings.log_level, "handlers": ["stderr"]},
            "loggers": {"nextcord": {"level": "WARNING" if settings.log_level != "DEBUG" else "DEBUG"}},
        }
    )


async def serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await GatewayApp(settings).run(stop)


def main() -> None:
    try:
        settings = Settings()
    except ValidationError as exc:
        sys.exit(f"encore gateway: invalid settings:\n{exc}")
    if not settings.has_token:
        sys.exit(MISSING_CREDENTIAL_HELP)
    configure_logging(settings)
    point_nextcord_at(settings.gateway.discord_api_base)
    _log.info("starting the gateway (REST base %s)", settings.gateway.discord_api_base)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
