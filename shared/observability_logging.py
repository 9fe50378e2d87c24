"""Structured logs for both services: %-style text or JSON lines, the guild id when known, secrets redacted.

`configure_logging(settings, service=…)` is called once in each `__main__`. Context goes in `extra`
(`_log.info("skipped %d", n, extra={"guild_id": gid})`); the guild id is printed whenever a record carries one.
`RedactingFilter` sits on the handler, so nothing any library logs can print the bot token or a voice token.
"""

from __future__ import annotations

import logging
import logging.config
import re
import sys
from collections.abc import Iterable
from typing import Any, Final, TextIO, override

import orjson

from shared.settings import Settings

TEXT_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED: Final = "[redacted]"
CONTEXT_FIELDS: Final = ("guild_id", "worker_id", "shard_id", "command", "job_id")
"""`extra` keys that become fields of a JSON line (and `key=value` suffixes of a text line)."""

# A Discord bot token: base64 user id, timestamp, HMAC (https://discord.com/developers/docs/reference).
_BOT_TOKEN: Final = re.compile(r"\b[MNO][A-Za-z0-9_-]{22,30}\.[A-Za-z0-9_-]{5,8}\.[A-Za-z0-9_-]{25,45}\b")
# Any value after a key named like a token: voice tokens in JSON ("token": "…"), reprs (token='…'), URLs (token=…).
_TOKEN_FIELD: Final = re.compile(
    r"""(?P<key>["']?\b[\w-]*token["']?\s*[:=]\s*(?:SecretStr\()?["']?)"""
    r"""(?!(?:None|null)\b)(?P<value>[^"'\s,;&)}\]]{4,})""",
    re.IGNORECASE,
)
_AUTH_HEADER: Final = re.compile(r"(?P<key>\b(?:Bot|Bearer)\s+)(?P<value>[A-Za-z0-9_.\-]{16,})")


class Redactor:
    """Removes secrets from text: configured values verbatim, bot-token shapes, and `token=` style values."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: Final = tuple(sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True))

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        text = _BOT_TOKEN.sub(REDACTED, text)
        text = _TOKEN_FIELD.sub(_keep_key, text)
        return _AUTH_HEADER.sub(_keep_key, text)


def _keep_key(match: re.Match[str]) -> str:
    return match.group("value") if match.group("value") == REDACTED else match.group("key") + REDACTED


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and its traceback text) through a `Redactor`; never drops a record."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redact = redactor

    @override
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self._redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self._redact(record.stack_info)
        return True


def _context(record: logging.LogRecord) -> dict[str, Any]:
    return {key: value for key in CONTEXT_FIELDS if (value := getattr(record, key, None)) is not None}


class TextFormatter(logging.Formatter):
    """The %-style line, then ` guild_id=… worker_id=…` for the context the record carries."""

    def __init__(self, fmt: str = TEXT_FORMAT) -> None:
        super().__init__(fmt)

    @override
    def formatMessage(self, record: logging.LogRecord) -> str:
        text = super().formatMessage(record)
        context = _context(record)
        return text + "".join(f" {key}={value}" for key, value in context.items())


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, service, message, context fields, exception."""

    def __init__(self, service: str | None = None) -> None:
        super().__init__()
        self._service = service

    @override
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if self._service is not None:
            entry["service"] = self._service
        entry.update(_context(record))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return orjson.dumps(entry, default=str).decode()


def configure_logging(settings: Settings, *, service: str | None = None, stream: TextIO | None = None) -> None:
    """One handler on the root logger (stderr by default), text or JSON by `settings.log_json`, secrets redacted."""
    secret = settings.discord_token.get_secret_value().strip()
    debug = settings.log_level == "DEBUG"
    formatter: dict[str, Any] = (
        {"()": JsonFormatter, "service": service} if settings.log_json else {"()": TextFormatter}
    )
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"main": formatter},
            "filters": {"redact": {"()": RedactingFilter, "redactor": Redactor([secret] if secret else [])}},
            "handlers": {
                "main": {
                    "class": "logging.StreamHandler",
                    "stream": stream or sys.stderr,
                    "formatter": "main",
                    "filters": ["redact"],
                }
            },
            "root": {"level": settings.log_level, "handlers": ["main"]},
            "loggers": {
                "nextcord": {"level": "DEBUG" if debug else "WARNING"},
                "aiohttp.access": {"level": "DEBUG" if debug else "WARNING"},
            },
        }
    )


__all__ = ["JsonFormatter", "RedactingFilter", "Redactor", "TextFormatter", "configure_logging"]
