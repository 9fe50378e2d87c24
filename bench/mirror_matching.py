"""Matching accuracy for mirrored tracks on a generated catalogue with decoys (tests/media/catalogue.py).

Two figures per seed:

- **through the search**: the resolver's real `Matcher` (ISRC query, then "<artist> <title>") over real yt-dlp
  searching the catalogue's index with the `localsearch` plugin on a loopback media server, with a real
  redis-server for its cache (every track is a cache miss); per-item match time is measured here;
- **against every decoy**: the pure ranking given every upload made for the track (the official audio, a fan's
  lyric upload, the same title by another artist, live, cover, sped-up, nightcore, the music video with a long
  intro, a 30-second preview): a harsher test than the search, which already drops what lacks the artist's name.

A pick is correct when it is one of the track's own recordings, or nothing when the index has none (one track in
twenty); a *confident wrong* match is any other pick (it would play, above the threshold).

    .venv/bin/python -m bench.mirror_matching --tracks 600 --seeds 14 15 16
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from redis.asyncio import Redis

from bench.stats import percentile
from shared.codec import dumps
from shared.jobs import IngestChunkRequest
from shared.keys import Keys
from shared.models import Matched, MirrorService, Track
from shared.settings import MirrorSettings, WorkerSettings
from tests.media.catalogue import Catalogue, CatalogueTrack, generate
from tests.media.library import PLUGIN_DIR
from tests.media.server import MediaServer
from tests.services.redis_server import RedisServer
from worker.resolve.jobs import build_resolve_service
from worker.resolve.mirror import ranking

THRESHOLD = MirrorSettings().threshold
if str(PLUGIN_DIR) not in sys.path:
    sys.path.insert(0, str(PLUGIN_DIR))  # the `localsearch` extractor, before the first YoutubeDL


def mirrored(track: CatalogueTrack) -> Track:
    """What the Spotify Web API gives for the track."""
    return Track(url=f"https://open.spotify.com/track/{track.number:022d}", title=track.title,
                 duration_ms=track.duration_s * 1000, artist=track.artist, artists=track.artists, isrc=track.isrc,
                 mirror=MirrorService.SPOTIFY)  # fmt: skip


def upload(entry: dict[str, object]) -> Track:
    return Track(url=str(entry["url"]), title=str(entry["title"]), duration_ms=int(str(entry["duration"])) * 1000,
                 artist=str(entry["channel"]), source_id=str(entry["id"]),
                 isrc=str(entry["isrc"]) if entry["isrc"] else None)  # fmt: skip


class NoChunks:
    """Matching queues nothing: no chunk job is ever scheduled."""

    async def schedule(self, request: IngestChunkRequest) -> None:
        raise AssertionError(request)


class Tally:
    def __init__(self) -> None:
        self.correct = self.wrong = self.missed = self.total = 0

    def add(self, acceptable: set[str], picked: str | None) -> None:
        self.total += 1
        if picked is None:
            self.correct += not acceptable
            self.missed += bool(acceptable)
        elif picked in acceptable:
            self.correct += 1
        else:
            self.wrong += 1

    def row(self, name: str, extra: str = "") -> str:
        share = 100 * self.correct / self.total
        return f"| {name} | {self.total} | {share:.1f} % | {self.wrong} | {self.missed} |{extra}"


def against_decoys(catalogue: Catalogue) -> Tally:
    by_track: dict[int, list[Track]] = {}
    for entry in catalogue.index:
        by_track.setdefault(int(entry["track"]), []).append(upload(entry))
    tally = Tally()
    for track in catalogue.tracks:
        target = ranking.Target(track.title, track.artists, track.duration_s * 1000, track.isrc)
        chosen = ranking.choose(target, by_track[track.number], THRESHOLD)
        tally.add(catalogue.acceptable(track.number), chosen.track.source_id if chosen else None)
    return tally


async def through_search(
    catalogue: Catalogue, media: MediaServer, redis_url: str, index: str
) -> tuple[Tally, list[float]]:
    redis = Redis.from_url(redis_url)
    keys = Keys(prefix=f"bench{time.monotonic_ns()}")
    config = WorkerSettings(worker_id="bench", allowed_hosts=("127.0.0.1",), ytdlp_threads=2)
    params = {"extractor_args": {"localsearch": {"base": [media.base], "index": [index]}}}
    service = build_resolve_service(redis=redis, keys=keys, config=config, providers=("localsearch",),
                                    scheduler=NoChunks(), ytdlp_params=params)  # fmt: skip
    await service.start()
    tally, times = Tally(), []
    try:
        for track in catalogue.tracks:
            started = time.perf_counter()
            found = await service.matcher.match(mirrored(track))
            times.append(time.perf_counter() - started)
            picked = found.track.source_id if isinstance(found, Matched) else None
            tally.add(catalogue.acceptable(track.number), picked)
    finally:
        service.close()
        await redis.aclose()
    return tally, times


async def main(tracks: int, seeds: list[int]) -> None:
    with tempfile.TemporaryDirectory(prefix="encore-bench-") as tmp:
        redis_server = RedisServer(Path(tmp) / "redis").start()
        media = MediaServer(Path(tmp) / "media").start()
        rows: list[str] = []
        try:
            for seed in seeds:
                catalogue = generate(tracks, seed=seed, base=media.base, audio="media/tone.mp3")
                index = f"mirror/index-{seed}.json"
                (media.root / "mirror").mkdir(parents=True, exist_ok=True)
                (media.root / index).write_bytes(dumps(catalogue.index))
                searched, times = await through_search(catalogue, media, redis_server.url, index)
                ms = [t * 1000 for t in times]
                timing = f" {statistics.median(ms):.0f} | {percentile(ms, 0.99):.0f} |"
                rows.append(searched.row(f"seed {seed}, through the search", timing))
                rows.append(against_decoys(catalogue).row(f"seed {seed}, against every decoy", " – | – |"))
        finally:
            media.stop()
            redis_server.stop()
    print(f"threshold {THRESHOLD}; {tracks} tracks per seed, {len(generate(tracks).index)} uploads in the index")
    print("| catalogue | tracks | correct | confident wrong | missed (skipped, had a match) | match p50 ms | p99 ms |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tracks", type=int, default=600)
    parser.add_argument("--seeds", type=int, nargs="+", default=[14, 15, 16])
    args = parser.parse_args()
    asyncio.run(main(args.tracks, args.seeds))
