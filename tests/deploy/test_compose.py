"""compose.yaml: valid against the Compose specification, and the properties that matter for encore."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, Final

import pytest
import yaml

from tests.deploy.dockerfile import ROOT, parse

COMPOSE = ROOT / "compose.yaml"
MIN_WORKER_GRACE_S: Final = 20
"""docs/operations.md: guild handoff (a few seconds) + arq's job_completion_wait + margin."""
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|API_KEY", re.IGNORECASE)


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def _services() -> dict[str, Any]:
    services: dict[str, Any] = _compose()["services"]
    return services


def duration_s(text: str) -> float:
    """A Compose duration (`1m30s`, `40s`, `500ms`) in seconds."""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, "us": 1e-6}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", text)
    assert parts and "".join(n + u for n, u in parts) == text, f"not a duration: {text}"
    return sum(float(number) * units[unit] for number, unit in parts)


def check_jsonschema(path: Path) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("check-jsonschema") or str(ROOT / ".venv/bin/check-jsonschema")
    return subprocess.run(
        [binary, "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_compose_file_matches_the_compose_specification() -> None:
    result = check_jsonschema(COMPOSE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_catches_a_misspelt_key(tmp_path: Path) -> None:
    broken = tmp_path / "compose.yaml"
    broken.write_text(COMPOSE.read_text().replace("stop_grace_period: 40s", "stop_grace_periode: 40s"))
    assert check_jsonschema(broken).returncode != 0


def test_workers_scale_with_docker_compose_scale() -> None:
    worker = _services()["worker"]
    assert "container_name" not in worker
    assert "ports" not in worker, "fixed host ports would collide between replicas"
    assert worker["deploy"]["replicas"] >= 1
    assert "hostname" not in worker, "each replica's worker id defaults to its own container host name"


def test_services_wait_for_a_healthy_redis_and_restart() -> None:
    services = _services()
    for name in ("gateway", "worker"):
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy", name
        assert services[name]["restart"] == "unless-stopped", name
        assert services[name]["env_file"] == [{"path": ".env", "required": True}], name
        assert services[name]["environment"]["ENCORE_REDIS__URL"] == "redis://redis:6379/0"
    for name, service in services.items():
        assert service.get("restart") == "unless-stopped", name


@pytest.mark.parametrize("service", ["gateway", "worker"])
def test_health_port_cannot_be_switched_off_by_env_file(service: str) -> None:
    """.env.example sets ENCORE_*__HEALTH_PORT= (off); the HEALTHCHECK needs the image's port."""
    image_port = parse(ROOT / f"Dockerfile.{service}").final.env()[f"ENCORE_{service.upper()}__HEALTH_PORT"]
    assert _services()[service]["environment"][f"ENCORE_{service.upper()}__HEALTH_PORT"] == image_port


def test_redis_is_pinned_persistent_and_healthchecked() -> None:
    compose = _compose()
    redis = compose["services"]["redis"]
    assert re.fullmatch(r"redis:7\.\d+\.\d+(-[a-z]+)?", redis["image"])
    command = " ".join(redis["command"])
    assert "--appendonly yes" in command
    assert "--appendfsync everysec" in command
    volume, _, target = redis["volumes"][0].partition(":")
    assert target == "/data"
    assert volume in compose["volumes"], "a named volume, not a bind mount"
    assert "redis-cli ping" in " ".join(redis["healthcheck"]["test"])


def test_stop_grace_periods_leave_time_for_the_handoff() -> None:
    services = _services()
    assert duration_s(services["worker"]["stop_grace_period"]) >= MIN_WORKER_GRACE_S
    assert duration_s(services["gateway"]["stop_grace_period"]) >= 10
    assert duration_s(services["redis"]["stop_grace_period"]) >= 10, "time to flush the AOF"


def test_no_secrets_inline() -> None:
    for name, service in _services().items():
        environment = service.get("environment", {})
        assert isinstance(environment, dict), f"{name}: use a mapping for environment"
        for key, value in environment.items():
            if SECRET_NAME.search(key):
                assert value in (None, "") or str(value).startswith("${"), f"{name}: {key} is inline"
    assert ".env" in (ROOT / ".gitignore").read_text().split()


@pytest.mark.parametrize("service", ["gateway", "worker"])
def test_images_are_built_from_the_dockerfiles(service: str) -> None:
    build = _services()[service]["build"]
    assert (ROOT / build["context"] / build["dockerfile"]).name == f"Dockerfile.{service}"
    assert (ROOT / build["dockerfile"]).exists()


def test_youtube_profile_runs_a_pinned_po_token_provider_matching_the_plugin() -> None:
    provider = _services()["pot-provider"]
    assert provider["profiles"] == ["youtube"]
    image, _, tag = provider["image"].partition(":")
    assert image == "brainicism/bgutil-ytdlp-pot-provider"
    assert re.fullmatch(r"\d+\.\d+\.\d+", tag)
    constraints = (ROOT / "requirements/constraints.txt").read_text()
    assert f"bgutil-ytdlp-pot-provider=={tag}\n" in constraints, "the worker's plugin and the server must match"
    for name, service in _services().items():
        if name != "pot-provider":
            assert "profiles" not in service, f"{name} must start without a profile"
