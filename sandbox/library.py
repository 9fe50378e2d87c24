"""The sandbox's demo library: a few tracks rendered by FFmpeg into the data folder (once; later starts reuse them),
and the operator's own folder, both served over HTTP on 127.0.0.1 only for the workers to play.

Each demo track has a known pitch, so what the browser hears can be checked against it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from aiohttp import web

AUDIO_SUFFIXES: Final = frozenset({".mp3", ".ogg", ".opus", ".oga", ".m4a", ".aac", ".flac", ".wav", ".webm", ".mka"})
LOCAL_LIMIT: Final = 500
"""The most files of the operator's folder listed in the page."""


@dataclass(frozen=True, slots=True)
class DemoTrack:
    """One generated track: its file name, title, main pitch (Hz) and FFmpeg lavfi source."""

    name: str
    title: str
    pitch: float
    source: str


DEMO_TRACKS: Final = (
    DemoTrack("a440", "A440 (a steady tone)", 440.0, "sine=frequency=440:duration=180:sample_rate=48000"),
    DemoTrack("e660", "E660 (a steady tone, a fifth up)", 660.0, "sine=frequency=660:duration=180:sample_rate=48000"),
    DemoTrack(
        "arpeggio",
        "C major arpeggio",
        261.63,
        "aevalsrc='0.3*sin(2*PI*t*if(lt(mod(t,1),0.25),261.63,if(lt(mod(t,1),0.5),329.63,"
        "if(lt(mod(t,1),0.75),392,523.25))))':s=48000:d=60",
    ),
    DemoTrack(
        "chord",
        "A minor chord",
        220.0,
        "aevalsrc='0.2*sin(2*PI*220*t)+0.15*sin(2*PI*261.63*t)+0.15*sin(2*PI*329.63*t)':s=48000:d=60",
    ),
)


@dataclass(frozen=True, slots=True)
class LibraryEntry:
    title: str
    url: str
    pitch: float | None = None


async def render_demo_tracks(folder: Path) -> None:
    """Render the demo tracks that are not there yet (Ogg/Opus, stereo), side by side."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("ffmpeg is not installed (./scripts/run installs it)")
    missing = _missing(folder)
    await asyncio.gather(*(_render(ffmpeg, track, folder) for track in missing))


def _missing(folder: Path) -> list[DemoTrack]:
    folder.mkdir(parents=True, exist_ok=True)
    return [t for t in DEMO_TRACKS if not (folder / f"{t.name}.ogg").exists()]


async def _render(ffmpeg: str, track: DemoTrack, folder: Path) -> None:
    partial = folder / f".{track.name}.partial.ogg"
    process = await asyncio.create_subprocess_exec(
        *(ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", track.source),
        *("-ac", "2", "-c:a", "libopus", "-b:a", "96k", "-compression_level", "0"),
        *("-metadata", f"title={track.title}", str(partial)),
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, errors = await process.communicate()
    except asyncio.CancelledError:
        process.kill()
        await process.communicate()  # reaps it and closes its pipe
        raise
    if process.returncode != 0:
        raise RuntimeError(f"ffmpeg could not render {track.name}: {errors.decode(errors='replace')[-500:]}")
    os.replace(partial, folder / f"{track.name}.ogg")


def _local_files(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink() and path.suffix.lower() in AUDIO_SUFFIXES:
            yield path.relative_to(folder)


class MediaServer:
    """Serves ``/demo/<name>.ogg`` and ``/local/<path>`` (the operator's folder) on 127.0.0.1, with Range reads."""

    def __init__(self, demo_folder: Path, local_folder: Path | None) -> None:
        self.demo_folder = demo_folder
        self.local_folder = local_folder
        self.base = ""
        self._runner: web.AppRunner | None = None

    async def start(self) -> MediaServer:
        app = web.Application()
        app.router.add_static("/demo", self.demo_folder, follow_symlinks=False)
        if self.local_folder is not None:
            app.router.add_static("/local", self.local_folder, follow_symlinks=False)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def entries(self) -> list[LibraryEntry]:
        """The demo tracks, then up to ``LOCAL_LIMIT`` files of the operator's folder."""
        entries = [LibraryEntry(t.title, f"{self.base}/demo/{t.name}.ogg", t.pitch) for t in DEMO_TRACKS]
        if self.local_folder is not None and self.local_folder.is_dir():
            for index, path in enumerate(_local_files(self.local_folder)):
                if index >= LOCAL_LIMIT:
                    break
                quoted = "/".join(urllib.parse.quote(part) for part in path.parts)
                entries.append(LibraryEntry(str(path), f"{self.base}/local/{quoted}"))
        return entries
