"""configure_logging: text and JSON lines, the guild id from `extra`, and redaction of tokens."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import orjson
import pytest
from pydantic import SecretStr

from shared.models import VoiceCredentials
from shared.observability import Redactor, configure_logging
from shared.settings import Settings

BOT_TOKEN = "MTA5ODc2NTQzMjEwOTg3NjU0.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"
OTHER_BOT_TOKEN = "NzkyNzE1NDU0MTk2MDg4ODQy.X-hvzA.Ovy4MCQywSkoMRRclStW4xAYK7I"
VOICE_TOKEN = "f3a1c9d2e4b5a6c7"


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)


def _configure(*, json: bool) -> io.StringIO:
    stream = io.StringIO()
    settings = Settings(discord_token=SecretStr(BOT_TOKEN), log_json=json, log_level="DEBUG")
    configure_logging(settings, service="worker", stream=stream)
    return stream


@pytest.mark.usefixtures("restore_logging")
def test_text_lines_carry_the_guild_id() -> None:
    stream = _configure(json=False)
    log = logging.getLogger("encore.test")
    log.info("skipped %d items", 3, extra={"guild_id": 123456789012345678})
    log.info("no guild here")
    first, second = stream.getvalue().splitlines()
    assert first.endswith("INFO encore.test: skipped 3 items guild_id=123456789012345678")
    assert second.endswith("INFO encore.test: no guild here")


@pytest.mark.usefixtures("restore_logging")
def test_json_lines_carry_service_guild_and_exception() -> None:
    stream = _configure(json=True)
    log = logging.getLogger("encore.test")
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("player crashed", extra={"guild_id": 42, "worker_id": "w-1"})
    entry = orjson.loads(stream.getvalue())
    assert entry["message"] == "player crashed"
    assert (entry["level"], entry["logger"], entry["service"]) == ("ERROR", "encore.test", "worker")
    assert (entry["guild_id"], entry["worker_id"]) == (42, "w-1")
    assert "ValueError: boom" in entry["exc"]


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize("json", [False, True])
def test_tokens_never_reach_the_output(json: bool) -> None:
    stream = _configure(json=json)
    log = logging.getLogger("some.library")
    log.info("logging in with %s", BOT_TOKEN)
    log.debug("header Authorization: Bot %s", OTHER_BOT_TOKEN)
    credentials = VoiceCredentials(guild_id=1, user_id=2, channel_id=3, session_id="s", token=VOICE_TOKEN)
    log.debug("voice payload %s", credentials.model_dump_json())
    log.debug("voice server update {'token': '%s', 'endpoint': 'x'}", VOICE_TOKEN)
    log.debug("identify %r", {"op": 2, "d": {"token": BOT_TOKEN}})
    try:
        raise RuntimeError(f"connect failed for token={VOICE_TOKEN}")
    except RuntimeError:
        log.exception("voice connect failed", extra={"guild_id": 1})
    output = stream.getvalue()
    for secret in (BOT_TOKEN, OTHER_BOT_TOKEN, VOICE_TOKEN):
        assert secret not in output
    assert output.count("[redacted]") >= 6
    assert "voice connect failed" in output


def test_redactor_keeps_what_is_not_a_secret() -> None:
    redact = Redactor(["s3cr3t-value"])
    assert redact("nothing to hide, token=None, tokens: 5") == "nothing to hide, token=None, tokens: 5"
    assert redact("a s3cr3t-value here") == "a [redacted] here"
    assert redact('{"token":"abcdef123456","endpoint":"e"}') == '{"token":"[redacted]","endpoint":"e"}'
    assert redact("VoiceCredentials(token='abcd1234')") == "VoiceCredentials(token='[redacted]')"
    assert redact("https://x/callback?access_token=abcd1234&x=1") == "https://x/callback?access_token=[redacted]&x=1"
