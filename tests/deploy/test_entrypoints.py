"""The images' commands run here: the gateway entrypoint's shard arithmetic, the HEALTHCHECK script, and
ENTRYPOINT + CMD of each Dockerfile started with the venv on PATH against a real redis-server."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from redis.asyncio import Redis

from shared.observability import GatewayMetrics, HealthServer
from tests.deploy.dockerfile import ROOT, Stage, copy_sources, exec_form, parse
from tests.services.redis_server import RedisServer, free_port

ENTRYPOINT_SH = ROOT / "deploy/docker/gateway-entrypoint.sh"
HEALTHCHECK_PY = ROOT / "deploy/docker/healthcheck.py"
VENV_BIN = Path(sys.executable).parent
STARTUP_TIMEOUT_S = 20.0


def test_shellcheck_passes_the_gateway_entrypoint() -> None:
    shellcheck = shutil.which("shellcheck") or str(VENV_BIN / "shellcheck")
    result = subprocess.run(
        [shellcheck, "--shell=sh", str(ENTRYPOINT_SH)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _shard_ids(hostname: str, count: str, per_pod: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "HOSTNAME": hostname, "ENCORE_GATEWAY__SHARD_IDS": "from-hostname"}
    env |= {"ENCORE_GATEWAY__SHARD_COUNT": count} if count else {}
    env |= {"ENCORE_SHARDS_PER_POD": per_pod} if per_pod else {}
    command = ["sh", str(ENTRYPOINT_SH), "sh", "-c", 'printf %s "$ENCORE_GATEWAY__SHARD_IDS"']
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=10, check=False)


@pytest.mark.parametrize(
    ("hostname", "count", "per_pod", "expected"),
    [
        ("encore-gateway-0", "1", None, "0"),
        ("encore-gateway-3", "4", None, "3"),
        ("encore-gateway-1", "6", "3", "3,4,5"),
        ("encore-gateway-12", "16", None, "12"),
    ],
)
def test_gateway_entrypoint_takes_shard_ids_from_the_pod_ordinal(
    hostname: str, count: str, per_pod: str | None, expected: str
) -> None:
    result = _shard_ids(hostname, count, per_pod)
    assert (result.returncode, result.stdout) == (0, expected), result.stderr


@pytest.mark.parametrize(
    ("hostname", "count", "per_pod"),
    [("gateway", "2", None), ("encore-gateway-2", "2", None), ("encore-gateway-0", "", None), ("g-0", "2", "0")],
)
def test_gateway_entrypoint_refuses_what_cannot_be_right(hostname: str, count: str, per_pod: str | None) -> None:
    result = _shard_ids(hostname, count, per_pod)
    assert result.returncode == 64
    assert result.stderr.startswith("encore: ")


def test_gateway_entrypoint_passes_other_settings_through() -> None:
    env = {"PATH": os.environ["PATH"], "ENCORE_GATEWAY__SHARD_IDS": "0,1"}
    command = ["sh", str(ENTRYPOINT_SH), "sh", "-c", 'printf %s "$ENCORE_GATEWAY__SHARD_IDS"']
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=10, check=True)
    assert result.stdout == "0,1"


async def _healthcheck(port: int | str) -> int:
    env = {**os.environ, "ENCORE_WORKER__HEALTH_PORT": str(port)}
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(HEALTHCHECK_PY), "ENCORE_WORKER__HEALTH_PORT", env=env
    )
    return await asyncio.wait_for(process.wait(), 10)


async def test_healthcheck_script_follows_healthz(redis: Redis) -> None:
    async def ready() -> bool:
        return True

    server = HealthServer(host="127.0.0.1", port=0, metrics=GatewayMetrics(), redis=redis, ready=ready)
    async with server:
        assert await _healthcheck(server.port) == 0
    assert await _healthcheck(server.port) == 1, "nothing listens any more"
    assert await _healthcheck("not-a-port") == 1


@dataclass(frozen=True)
class ImageCommand:
    """A Dockerfile's ENTRYPOINT + CMD, ENV and HEALTHCHECK, with image paths mapped to this checkout."""

    argv: list[str]
    env: dict[str, str]
    healthcheck: list[str]


def _bin_dir(stage: Stage, tmp_path: Path) -> Path:
    """Files the image copies into /usr/local/bin, as links in a directory that goes on PATH."""
    directory = tmp_path / "image-bin"
    directory.mkdir(exist_ok=True)
    for sources, destination in copy_sources(stage):
        if destination.startswith("/usr/local/bin/"):
            (directory / Path(destination).name).symlink_to(ROOT / sources[0])
    return directory


def _image_command(service: str, tmp_path: Path, overrides: Mapping[str, str]) -> ImageCommand:
    stage = parse(ROOT / f"Dockerfile.{service}").final
    copied = {destination: str(ROOT / sources[0]) for sources, destination in copy_sources(stage)}
    entrypoint, cmd, healthcheck = stage.last("ENTRYPOINT"), stage.last("CMD"), stage.last("HEALTHCHECK")
    assert cmd is not None and healthcheck is not None
    argv = [*(exec_form(entrypoint.args) if entrypoint else []), *exec_form(cmd.args)]
    probe = [copied.get(word, word) for word in exec_form(healthcheck.args.split("CMD", 1)[1].strip())]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ENCORE_")}
    for name, value in stage.env().items():
        env[name] = str(tmp_path / value.removeprefix("/tmp/")) if value.startswith("/tmp/") else value
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{_bin_dir(stage, tmp_path)}{os.pathsep}{os.environ['PATH']}"
    return ImageCommand(argv, {**env, **overrides}, probe)


async def _healthz_ok(port: int) -> bool:
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as session,
            session.get(f"http://127.0.0.1:{port}/healthz") as response,
        ):
            return response.status == 200
    except (aiohttp.ClientError, OSError, TimeoutError):
        return False


@pytest.fixture
async def own_redis(tmp_path: Path) -> AsyncIterator[RedisServer]:
    server = RedisServer(data_dir=tmp_path / "redis").start()
    yield server
    await server.astop()


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-3000:]


async def _wait_healthy(process: asyncio.subprocess.Process, port: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not await _healthz_ok(port):
        if process.returncode is not None:
            raise AssertionError(f"exited with {process.returncode}:\n{_tail(log)}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no /healthz on {port} in {STARTUP_TIMEOUT_S} s:\n{_tail(log)}")
        await asyncio.sleep(0.1)


@pytest.mark.e2e
@pytest.mark.parametrize("service", ["gateway", "worker"])
async def test_container_command_starts_the_service(service: str, tmp_path: Path, own_redis: RedisServer) -> None:
    port = free_port()
    overrides = {
        f"ENCORE_{service.upper()}__HEALTH_PORT": str(port),
        "ENCORE_REDIS__URL": own_redis.url,
        "ENCORE_DISCORD_TOKEN": "dummy-token-for-a-closed-port",
        "ENCORE_GATEWAY__DISCORD_API_BASE": f"http://127.0.0.1:{free_port()}/api/v10",
    }
    image = _image_command(service, tmp_path, overrides)
    log = tmp_path / f"{service}.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            *image.argv, cwd=tmp_path, env=image.env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        await _wait_healthy(process, port, log)
        probe = await asyncio.create_subprocess_exec(*image.healthcheck, env=image.env)
        assert await asyncio.wait_for(probe.wait(), 10) == 0, "the image's HEALTHCHECK command passes"
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 15)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
