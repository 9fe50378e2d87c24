"""Keeping yt-dlp current without a new image (`WorkerSettings.ytdlp_auto_update`, off by default).

YouTube changes what its clients must do every few weeks and yt-dlp follows within days; an image built a month ago
may no longer play YouTube. With the setting on, the worker runs `pip install --upgrade yt-dlp yt-dlp-ejs` into a
private directory (the image's virtualenv is read-only and owned by root) before anything imports yt-dlp, and then
re-executes itself with that directory first on PYTHONPATH. When pip fails (no PyPI from the cluster, a proxy), the
worker says so and starts with the yt-dlp it was built with. Building the image with `--build-arg` is the other way
(docs/operations.md); both take yt-dlp's newest release, untested by encore's suite.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

_log: Final = logging.getLogger(__name__)

PACKAGES: Final = ("yt-dlp", "yt-dlp-ejs")
"""yt-dlp and its JavaScript challenge solvers, whose versions go together."""
UPDATED_MARK: Final = "ENCORE_YTDLP_UPDATED"
"""Set in the re-executed worker's environment: it runs on the updated yt-dlp and does not update again."""
PIP_TIMEOUT_S: Final = 180.0


def update_dir() -> Path:
    return Path(tempfile.gettempdir()) / "encore-yt-dlp"


def update(target: Path, *, timeout_s: float = PIP_TIMEOUT_S, env: Mapping[str, str] | None = None) -> bool:
    """Install the newest yt-dlp into `target`; False (and a warning) when pip fails. pip reads its index and proxy
    from its usual PIP_* variables in `env` (default: this process's environment)."""
    command = [
        sys.executable, "-m", "pip", "install", "--upgrade", "--no-deps", "--quiet", "--disable-pip-version-check",
        "--no-cache-dir", "--target", str(target), *PACKAGES,
    ]  # fmt: skip
    try:
        done = subprocess.run(  # noqa: S603 - fixed arguments
            command, capture_output=True, text=True, timeout=timeout_s, check=False, env=dict(env or os.environ)
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        _log.warning("yt-dlp auto-update failed (%s); using the installed yt-dlp", type(exc).__name__)
        return False
    if done.returncode != 0:
        _log.warning("yt-dlp auto-update failed: %s; using the installed yt-dlp", done.stderr.strip()[-500:])
        return False
    return True


def updated_environment(target: Path, env: Mapping[str, str]) -> dict[str, str]:
    """`env` for the re-executed worker: `target` first on PYTHONPATH, and marked as updated."""
    path = os.pathsep.join(part for part in (str(target), env.get("PYTHONPATH", "")) if part)
    return {**env, "PYTHONPATH": path, UPDATED_MARK: "1"}


def update_and_reexec(argv: Sequence[str]) -> None:
    """Update yt-dlp and replace this process by the worker on it (returns only when the update failed or was done
    already)."""
    if os.environ.get(UPDATED_MARK):
        return
    target = update_dir()
    if update(target):
        _log.info("yt-dlp updated in %s; restarting the worker on it", target)
        os.execve(sys.executable, [sys.executable, *argv], updated_environment(target, os.environ))  # noqa: S606
