"""yt-dlp auto-update at worker start: real pip installs the newest release into a private directory (from a local
wheel directory here: no internet), and a pip that cannot reach its index leaves the installed yt-dlp in use."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.services.redis_server import free_port
from worker.ytdlp_update import PACKAGES, UPDATED_MARK, update, updated_environment

NEWEST = "2099.1.1"


def _wheel(directory: Path, project: str, module: str, files: dict[str, str]) -> None:
    """A minimal pure-Python wheel of `project` at version NEWEST."""
    dist = f"{module}-{NEWEST}.dist-info"
    contents = {
        **files,
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {project}\nVersion: {NEWEST}\n",
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: encore-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for name, text in contents.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(text.encode())}")
    record.append(f"{dist}/RECORD,,")
    with zipfile.ZipFile(directory / f"{module}-{NEWEST}-py3-none-any.whl", "w") as wheel:
        for name, text in contents.items():
            wheel.writestr(name, text)
        wheel.writestr(f"{dist}/RECORD", "\n".join(record) + "\n")


def _pip_env(**extra: str) -> dict[str, str]:
    return {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **extra}


def test_the_newest_yt_dlp_is_installed_into_a_private_directory(tmp_path: Path) -> None:
    wheels = tmp_path / "index"
    wheels.mkdir()
    _wheel(wheels, "yt-dlp", "yt_dlp", {"yt_dlp/__init__.py": "", "yt_dlp/version.py": f"__version__ = '{NEWEST}'\n"})
    _wheel(wheels, "yt-dlp-ejs", "yt_dlp_ejs", {"yt_dlp_ejs/__init__.py": ""})
    target = tmp_path / "yt-dlp"
    assert PACKAGES == ("yt-dlp", "yt-dlp-ejs")
    assert update(target, env=_pip_env(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(wheels)))
    env = updated_environment(target, _pip_env(PYTHONPATH="/somewhere"))
    assert env[UPDATED_MARK] == "1"
    assert env["PYTHONPATH"] == f"{target}{os.pathsep}/somewhere"
    shown = subprocess.run(
        [sys.executable, "-c", "import yt_dlp.version; print(yt_dlp.version.__version__)"],
        capture_output=True, text=True, env=env, check=True, timeout=60,
    )  # fmt: skip
    assert shown.stdout.strip() == NEWEST, "the re-executed worker imports the updated yt-dlp"


def test_an_unreachable_index_keeps_the_installed_yt_dlp(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}/simple"
    env = _pip_env(PIP_INDEX_URL=closed, PIP_RETRIES="0", PIP_TIMEOUT="2")
    assert not update(tmp_path / "yt-dlp", env=env, timeout_s=120)
    assert not (tmp_path / "yt-dlp" / "yt_dlp").exists()
