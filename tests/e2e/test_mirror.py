"""Mirrored links end to end: gateway, two workers, redis-server, the fake Discord with voice, the fake Spotify
(Web API with client credentials) and real yt-dlp searching the catalogue's index (with decoys) on the loopback
media server through the `localsearch` plugin. Every catalogue upload is a 5 s 220 Hz tone."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from localdiscord.fake_discord import FakeDiscord
from shared.models import MatchMethod, PlayerState
from tests.e2e.stack import Stack, started_stack
from tests.localdiscord.fixtures import NEXTCORD_WARNINGS
from tests.media.catalogue import Catalogue
from tests.media.server import MediaServer
from tests.services.music_fixtures import INDEX_PATH, playlist_id
from tests.services.music_services import FakeMusicServices
from tests.services.music_shapes import spotify_id

pytestmark = [*NEXTCORD_WARNINGS, pytest.mark.e2e, pytest.mark.timeout(150)]

TONE_HZ = 220


@pytest.fixture
async def mirror_stack(
    fake_discord: FakeDiscord, redis: Redis, redis_url: str, tmp_path: Path, media_server: MediaServer,
    music: FakeMusicServices,
) -> AsyncIterator[Stack]:  # fmt: skip
    env = {**music.environment(api=True), "LOCALSEARCH_BASE": media_server.base, "LOCALSEARCH_INDEX": INDEX_PATH}
    async with started_stack(fake_discord, redis, redis_url, tmp_path / "logs", worker_env=env) as running:
        yield running


def matched(state: PlayerState) -> bool:
    return state.now_playing is not None and state.now_playing.match is not None


async def test_a_1000_track_playlist_starts_at_once_and_plays_in_order(
    mirror_stack: Stack, catalogue: Catalogue, music: FakeMusicServices
) -> None:
    link = f"https://open.spotify.com/intl-de/playlist/{playlist_id(1000)}?si=f00ba7"
    _, reply = await mirror_stack.command("play", {"query": link})
    assert "Spotify list 1000" in reply.content, reply
    state = await mirror_stack.until_state(matched, timeout_s=30)
    assert state.now_playing is not None and state.now_playing.track.title == catalogue.tracks[0].title
    since = mirror_stack.fake.clock()
    heard = await mirror_stack.hear(1.0, since=since)
    assert abs(heard.dominant_frequency(since, mirror_stack.fake.clock()) - TONE_HZ) < 5
    assert state.now_playing.match is not None
    assert state.now_playing.match.track.source_id in catalogue.acceptable(0)
    _, now = await mirror_stack.command("nowplaying")
    fields = {field["name"]: field["value"] for field in now.embeds[0]["fields"]}
    assert re.match(r"(matched by ISRC|best match [01]\.\d\d) · \[", fields["Playing from"]), now
    titles = await mirror_stack.queue_titles()
    assert titles == [t.title for t in catalogue.tracks[1:1000]], "all queued, in the playlist's order"
    played = list(reversed(await mirror_stack.until_history(2, timeout_s=40)))
    assert played[:2] == [catalogue.tracks[0].title, catalogue.tracks[1].title]
    assert music.hits["api"] == 1 + 10  # the playlist, then ten pages: no search up front


async def test_a_track_without_a_close_match_is_skipped_with_a_notice(
    mirror_stack: Stack, catalogue: Catalogue
) -> None:
    missing, next_one = catalogue.tracks[19], catalogue.tracks[20]  # 19 has only decoys in the index
    await mirror_stack.command("play", {"query": f"spotify:track:{spotify_id(19)}"})
    await mirror_stack.command("play", {"query": f"https://open.spotify.com/track/{spotify_id(20)}"})
    notice = await mirror_stack.fake.wait_for_message(
        mirror_stack.world.text, lambda m: "no recording close enough" in m.content, timeout=30
    )
    assert missing.title in notice.content and "skipped" in notice.content, notice.content
    state = await mirror_stack.until_state(matched, timeout_s=30)
    assert state.now_playing is not None and state.now_playing.track.title == next_one.title
    assert state.now_playing.match is not None and state.now_playing.match.method in tuple(MatchMethod)
