"""Short links (spotify.link, deezer.page.link) are followed through the guarded stack, every hop checked, and what
they land on is read as the link it is. The short hosts resolve to 127.0.0.1 in-process (`fake_dns`)."""

from __future__ import annotations

from redis.asyncio import Redis

from shared.failures import ProblemKind
from shared.jobs import ResolveStatus
from shared.keys import Keys
from shared.queue_store import QueueStore
from tests.media.catalogue import Catalogue
from tests.resolve.conftest import GUILD, make_request
from tests.services.music_services import FakeMusicServices
from tests.services.music_shapes import spotify_id
from worker.resolve.service import ResolveService


def short(music: FakeMusicServices, host: str, code: str, target: str) -> str:
    music.shorts[code] = target
    return f"http://{host}:{music.port}/short/{code}"


async def test_a_spotify_short_link_lands_on_a_track(
    embed_service: ResolveService, redis: Redis, keys: Keys, music: FakeMusicServices, catalogue: Catalogue,
    fake_dns: dict[str, str],
) -> None:  # fmt: skip
    fake_dns.update({"spotify.link": "127.0.0.1", "open.spotify.com": "127.0.0.1"})
    target = f"http://open.spotify.com:{music.port}/intl-fr/track/{spotify_id(9)}?si=share"
    result = await embed_service.resolve(make_request(short(music, "spotify.link", "AbC123xyz", target)))
    assert result.status is ResolveStatus.QUEUED, result
    [item] = await QueueStore(redis, keys).all_items(GUILD)
    assert item.track.title == catalogue.tracks[9].title


async def test_a_deezer_short_link_lands_on_a_playlist(
    embed_service: ResolveService, music: FakeMusicServices, fake_dns: dict[str, str]
) -> None:
    fake_dns.update({"deezer.page.link": "127.0.0.1", "www.deezer.com": "127.0.0.1"})
    music.shorts["dz1"] = f"http://www.deezer.com:{music.port}/track/1"  # Deezer's own page is not read
    target = f"http://www.deezer.com:{music.port}/en/playlist/900005?utm_campaign=x"
    music.shorts["dz2"] = target
    result = await embed_service.resolve(make_request(f"http://deezer.page.link:{music.port}/short/dz2"))
    assert result.status is ResolveStatus.QUEUED and result.queued == 5 and result.playlist_title == "Deezer list 5"


async def test_a_short_link_into_a_private_network_is_refused(
    embed_service: ResolveService, redis: Redis, keys: Keys, music: FakeMusicServices, fake_dns: dict[str, str]
) -> None:
    fake_dns["spotify.link"] = "127.0.0.1"
    link = short(music, "spotify.link", "inward", f"http://10.0.0.8/track/{spotify_id(1)}")
    result = await embed_service.resolve(make_request(link))
    assert result.status is ResolveStatus.REFUSED and result.problem is not None
    assert result.problem.kind is ProblemKind.REFUSED and result.problem.redirect
    assert await QueueStore(redis, keys).all_items(GUILD) == []


async def test_a_dead_or_pointless_short_link(
    embed_service: ResolveService, music: FakeMusicServices, fake_dns: dict[str, str]
) -> None:
    fake_dns.update({"spotify.link": "127.0.0.1", "open.spotify.com": "127.0.0.1"})
    dead = await embed_service.resolve(make_request(f"http://spotify.link:{music.port}/short/nothing-here"))
    assert dead.problem is not None and dead.problem.kind is ProblemKind.NOT_FOUND
    home = short(music, "spotify.link", "home", f"http://open.spotify.com:{music.port}/track/{spotify_id(1)[:5]}")
    pointless = await embed_service.resolve(make_request(home))
    assert pointless.problem is not None and pointless.problem.kind is ProblemKind.MALFORMED_LINK
