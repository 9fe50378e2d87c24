"""The matcher over a stand-in search port (the port is all it knows of search) and the real Redis cache."""

from __future__ import annotations

from redis.asyncio import Redis

from shared.failures import Problem, ProblemKind
from shared.keys import Keys
from shared.models import Matched, MatchMethod, MirrorService, Track
from shared.settings import MirrorSettings
from worker.resolve.cache_store import ResolveCache
from worker.resolve.mirror.matcher import Matcher

TARGET = Track(url="https://open.spotify.com/track/0000000000000000000001", title="Echo Chamber (feat. Mira Kerr)",
               artist="Ada Vance, Mira Kerr", artists=("Ada Vance", "Mira Kerr"), duration_ms=200_000,
               isrc="QZENC2400001", mirror=MirrorService.SPOTIFY)  # fmt: skip


def upload(title: str, channel: str, seconds: int = 200, isrc: str | None = None) -> Track:
    return Track(url=f"https://example.org/{title}/{channel}", title=title, artist=channel,
                 duration_ms=seconds * 1000, isrc=isrc)  # fmt: skip


class Search:
    def __init__(self, answers: dict[str, list[Track] | None]) -> None:
        self.answers = answers
        self.asked: list[str] = []

    async def __call__(self, query: str, limit: int) -> list[Track] | None:
        self.asked.append(query)
        return self.answers.get(query, [])


def matcher(redis: Redis, keys: Keys, search: Search) -> Matcher:
    return Matcher(search, ResolveCache(redis), keys, MirrorSettings())


async def test_the_isrc_and_the_text_are_searched_and_ranked_together(redis: Redis, keys: Keys) -> None:
    """A music source answers the ISRC query with the recording even when its results carry no ISRC field."""
    topic = upload("Echo Chamber", "Ada Vance - Topic")
    search = Search({'"QZENC2400001"': [topic], "Ada Vance Echo Chamber": [upload("Echo Chamber", "Gus Quinn")]})
    found = await matcher(redis, keys, search).match(TARGET)
    assert isinstance(found, Matched) and found.track == topic and found.method is MatchMethod.SCORE
    assert sorted(search.asked) == sorted(['"QZENC2400001"', "Ada Vance Echo Chamber"])


async def test_an_isrc_field_wins_over_any_score(redis: Redis, keys: Keys) -> None:
    same = upload("Track 01", "Some Label", 260, isrc="QZENC2400001")
    search = Search({"Ada Vance Echo Chamber": [upload("Echo Chamber", "Ada Vance - Topic"), same]})
    found = await matcher(redis, keys, search).match(TARGET)
    assert isinstance(found, Matched) and found.track == same and found.method is MatchMethod.ISRC


async def test_verdicts_are_cached_and_failed_searches_are_not(redis: Redis, keys: Keys) -> None:
    down = Search({"Ada Vance Echo Chamber": None, '"QZENC2400001"': None})
    failed = await matcher(redis, keys, down).match(TARGET)
    assert isinstance(failed, Problem) and failed.kind is ProblemKind.SEARCH_UNAVAILABLE
    decoys = Search({"Ada Vance Echo Chamber": [upload("Echo Chamber (Live)", "Ada Vance")]})
    missed = await matcher(redis, keys, decoys).match(TARGET)
    assert isinstance(missed, Problem) and missed.kind is ProblemKind.NO_MATCH and missed.score is not None
    again = Search({})
    assert await matcher(redis, keys, again).match(TARGET) == missed and again.asked == []
