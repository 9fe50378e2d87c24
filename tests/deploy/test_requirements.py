"""What the images install: the gateway's list covers its imports and nothing of the worker's; all pinned."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from collections.abc import Iterable
from importlib.metadata import distribution, packages_distributions
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.deploy.dockerfile import ROOT

REQUIREMENTS = ROOT / "deploy/requirements"
WORKER_ONLY = frozenset({"yt-dlp", "pynacl", "dave-py", "davey", "deno", "yt-dlp-ejs", "bgutil-ytdlp-pot-provider"})


def _requirements(path: Path) -> list[Requirement]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [Requirement(line) for line in lines if line]


def _closure(requirements: Iterable[Requirement]) -> set[str]:
    """Every distribution the requirements install (as installed in this venv), by canonical name."""
    seen: set[str] = set()
    todo = list(requirements)
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        if name in seen:
            continue
        seen.add(name)
        environment = {"extra": ",".join(requirement.extras)} if requirement.extras else {"extra": ""}
        for text in distribution(name).requires or []:
            dependency = Requirement(text)
            extras = requirement.extras or {""}
            if dependency.marker is None or any(
                dependency.marker.evaluate({**environment, "extra": e}) for e in extras
            ):
                todo.append(dependency)
    return seen


def _third_party_imports(*packages: str) -> set[str]:
    modules: set[str] = set()
    for package in packages:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    modules.update(alias.name.split(".")[0] for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    modules.add(node.module.split(".")[0])
    return {m for m in modules if m not in sys.stdlib_module_names and m not in ("shared", "gateway", "worker")}


def test_gateway_requirements_cover_every_gateway_and_shared_import() -> None:
    installed = _closure(_requirements(REQUIREMENTS / "gateway.txt"))
    owners = packages_distributions()
    for module in sorted(_third_party_imports("gateway", "shared")):
        dists = {canonicalize_name(d) for d in owners.get(module, [])}
        assert dists & installed, f"gateway/ or shared/ imports {module}, which the gateway image does not install"


def test_gateway_image_installs_nothing_of_the_worker() -> None:
    installed = _closure(_requirements(REQUIREMENTS / "gateway.txt"))
    assert not installed & WORKER_ONLY


def test_every_image_requirement_is_pinned() -> None:
    constraints = (ROOT / "requirements/constraints.txt").read_text()
    pinned = {canonicalize_name(m.group(1)) for m in re.finditer(r"^([A-Za-z0-9_.-]+)==", constraints, re.MULTILINE)}
    for path in REQUIREMENTS.glob("*.txt"):
        for requirement in _requirements(path):
            assert canonicalize_name(requirement.name) in pinned, f"{path.name}: {requirement.name} is not pinned"


GATEWAY_IMPORT_CHECK = """
import importlib, importlib.abc, pkgutil, sys

class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ModuleNotFoundError(f"not in the gateway image: {{name}}", name=name)
        return None

sys.meta_path.insert(0, Block())
import gateway, shared
for package in (gateway, shared):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(module.name)
"""


def test_gateway_imports_without_the_worker_only_packages(tmp_path: Path) -> None:
    """What `python -m gateway` imports works in an image without yt-dlp, PyNaCl or DAVE."""
    blocked = {"yt_dlp", "nacl", "dave", "davey", "worker"}
    result = subprocess.run(
        [sys.executable, "-c", GATEWAY_IMPORT_CHECK.format(blocked=blocked)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
