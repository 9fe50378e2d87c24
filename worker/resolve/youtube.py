"""What yt-dlp needs to play YouTube from a server: the PO-token provider, the player clients, a cookies file.

yt-dlp 2026.10.26 asks YouTube with the player clients tv_samsung, visionos and web by default (visionos alone
without a JavaScript runtime; the image ships deno). web's HTTPS and DASH streams need a GVS PO token, which the
bgutil provider (`pot_provider_url`) mints; tv_samsung and visionos need none. Leaving `youtube_player_clients`
empty keeps yt-dlp's defaults, which follow YouTube's changes with each yt-dlp release.

A cookies file is a logged-in account's session: it lifts sign-in and bot checks but ties the account to a bot's
traffic (YouTube may ban it). yt-dlp writes its cookie file back on close, so it gets a private copy (0600, deleted
at exit) and the mounted secret stays read-only; no cookie, nor the copy's path, is ever logged.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from shared.settings import WorkerSettings


def youtube_params(config: WorkerSettings, params: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """`params` with the YouTube options of `config`, and the hosts the URL guard must let through for them."""
    merged = dict(params)
    extractor_args: dict[str, Any] = {**merged.get("extractor_args", {})}
    allowed: tuple[str, ...] = ()
    if config.pot_provider_url is not None:
        # the PO-token plugin's requests go through the guarded handler: allow exactly the provider's host
        allowed = (urlsplit(config.pot_provider_url).hostname or "",)
        extractor_args["youtubepot-bgutilhttp"] = {"base_url": [config.pot_provider_url.rstrip("/")]}
    if config.youtube_player_clients:
        youtube = {**extractor_args.get("youtube", {}), "player_client": list(config.youtube_player_clients)}
        extractor_args["youtube"] = youtube
    if extractor_args:
        merged["extractor_args"] = extractor_args
    if config.cookies_file is not None:
        merged["cookiefile"] = str(private_copy(config.cookies_file))
    return merged, allowed


def private_copy(secret: Path) -> Path:
    """A copy of `secret` only this user can read, removed when the process exits."""
    try:
        data = secret.read_bytes()
    except OSError as exc:
        raise ValueError(f"the cookies file cannot be read ({exc.strerror or type(exc).__name__})") from None
    descriptor, name = tempfile.mkstemp(prefix="encore-cookies-", suffix=".txt")
    with os.fdopen(descriptor, "wb") as copy:
        copy.write(data)
    atexit.register(_remove, Path(name))
    return Path(name)


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
