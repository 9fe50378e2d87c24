"""Settings: read from ENCORE_* variables once; .env.example documents every one of them."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _variables(model: type[BaseModel], prefix: str) -> set[str]:
    names: set[str] = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names |= _variables(annotation, f"{prefix}{name.upper()}__")
        else:
            names.add(f"{prefix}{name.upper()}")
    return names


def test_env_example_lists_every_setting() -> None:
    documented = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert documented == _variables(Settings, "ENCORE_")


def test_nested_and_list_variables_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENCORE_DISCORD_TOKEN", "secret-token")
    monkeypatch.setenv("ENCORE_WORKER__ALLOWED_HOSTS", "127.0.0.1, 10.0.0.0/8")
    monkeypatch.setenv("ENCORE_GATEWAY__SHARD_IDS", "0,2")
    monkeypatch.setenv("ENCORE_WORKER__LEASE_MS", "2000")
    settings = Settings()
    assert settings.worker.allowed_hosts == ("127.0.0.1", "10.0.0.0/8")
    assert settings.gateway.shard_ids == (0, 2)
    assert settings.worker.lease_ms == 2000
    assert "secret-token" not in repr(settings)
    assert settings.has_token


def test_empty_values_from_env_example_mean_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line and not line.startswith("#"):
            name, value = line.split("=", 1)
            monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.redis.url is None
    assert not settings.has_token


def test_bad_values_are_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENCORE_WORKER__LEASE_MS", "5")
    with pytest.raises(ValidationError):
        Settings()
