"""Dockerfile.gateway and Dockerfile.worker: hadolint, and the properties issue 8 asks of the images."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.deploy.dockerfile import ROOT, Dockerfile, copy_sources, dockerignored, exec_form, parse

DOCKERFILES = {"gateway": ROOT / "Dockerfile.gateway", "worker": ROOT / "Dockerfile.worker"}
BASE_IMAGE = re.compile(r"^python:3\.12\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?$")
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|CREDENTIAL", re.IGNORECASE)


@pytest.fixture(params=sorted(DOCKERFILES))
def service(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def _dockerfile(service: str) -> Dockerfile:
    return parse(DOCKERFILES[service])


def test_hadolint_passes_both_dockerfiles() -> None:
    hadolint = shutil.which("hadolint") or str(Path(__file__).parents[2] / ".venv/bin/hadolint")
    result = subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "style", *map(str, DOCKERFILES.values())],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_ignored_hadolint_rule_has_a_written_reason(service: str) -> None:
    lines = DOCKERFILES[service].read_text().splitlines()
    for number, line in enumerate(lines):
        match = re.match(r"#\s*hadolint ignore=(.+)", line.strip())
        if match is None:
            continue
        above = " ".join(lines[max(number - 3, 0) : number])
        for rule in match.group(1).split(","):
            assert f"{rule.strip()} (" in above, f"{service}: line {number + 1} ignores {rule} without a reason above"


def test_syntax_line_and_multi_stage_build(service: str) -> None:
    dockerfile = _dockerfile(service)
    assert dockerfile.first_line == "# syntax=docker/dockerfile:1"
    assert [stage.name for stage in dockerfile.stages] == ["build", "runtime"]
    for stage in dockerfile.stages:
        assert BASE_IMAGE.match(stage.base), f"unpinned base image {stage.base}"
    build = dockerfile.stages[0]
    wheel_steps = [run for run in build.all("RUN") if "pip wheel" in run.args]
    assert wheel_steps, "the build stage builds wheels"
    for run in wheel_steps:
        assert "--mount=type=cache,target=/root/.cache/pip" in run.flags()
    assert any("-c requirements/constraints.txt" in run.args for run in wheel_steps)


def test_runtime_stage_is_slim_non_root_and_healthchecked(service: str) -> None:
    runtime = _dockerfile(service).final
    user = runtime.last("USER")
    assert user is not None
    assert user.args.split(":")[0] not in ("0", "root")
    assert "build-essential" not in " ".join(run.args for run in runtime.all("RUN")), "no compilers at run time"
    assert any("--mount=type=bind,from=build" in run.args for run in runtime.all("RUN")), "wheels come from build"
    healthcheck = runtime.last("HEALTHCHECK")
    assert healthcheck is not None
    command = exec_form(healthcheck.args.split("CMD", 1)[1].strip())
    port_variable = f"ENCORE_{service.upper()}__HEALTH_PORT"
    assert command[-1] == port_variable
    assert runtime.env()[port_variable].isdigit()
    expose = runtime.last("EXPOSE")
    assert expose is not None
    assert expose.args == runtime.env()[port_variable]
    cmd = runtime.last("CMD")
    assert cmd is not None
    assert exec_form(cmd.args) == ["python", "-m", service]


def test_no_secrets_in_image_layers(service: str) -> None:
    dockerfile = _dockerfile(service)
    for stage in dockerfile.stages:
        for key in [*stage.env(), *(arg.args.split("=")[0] for arg in stage.all("ARG"))]:
            assert not SECRET_NAME.search(key), f"{service}: {key} would be baked into the image"
    assert dockerignored(".env", ROOT / ".dockerignore")


def test_runtime_libraries_per_service() -> None:
    worker = " ".join(run.args for run in _dockerfile("worker").final.all("RUN"))
    assert re.search(r"apt-get install[^&]*\bffmpeg\b[^&]*\blibopus0\b", worker)
    assert "deno --version" in worker, "the JavaScript runtime for yt-dlp is installed and runs"
    extras = (ROOT / "deploy/requirements/worker-extras.txt").read_text()
    assert re.search(r"^deno$", extras, re.MULTILINE)
    assert re.search(r"^yt-dlp-ejs$", extras, re.MULTILINE)
    gateway = _dockerfile("gateway")
    assert "apt-get" not in " ".join(run.args for run in gateway.final.all("RUN")), "no system packages at run time"
    instructions = " ".join(f"{i.keyword} {i.args}" for stage in gateway.stages for i in stage.instructions)
    for absent in ("ffmpeg", "libopus", "yt-dlp", "yt_dlp", "deno", "COPY worker", "worker-extras"):
        assert absent not in instructions, f"the gateway image must not contain {absent}"


def test_copied_files_exist_and_are_in_the_build_context(service: str) -> None:
    dockerignore = ROOT / ".dockerignore"
    for stage in _dockerfile(service).stages:
        for sources, _ in copy_sources(stage):
            for source in sources:
                assert (ROOT / source).exists(), source
                assert not dockerignored(source, dockerignore), f"{source} is excluded by .dockerignore"
                if (ROOT / source).is_dir():
                    assert not dockerignored(f"{source.rstrip('/')}/__init__.py", dockerignore)


@pytest.mark.parametrize("path", [".env", ".venv/bin/python", ".git/config", "tests/conftest.py", "var/redis/x.aof"])
def test_dockerignore_keeps_local_state_out_of_the_context(path: str) -> None:
    assert dockerignored(path, ROOT / ".dockerignore")
