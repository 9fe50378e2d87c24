"""The YouTube PO-token provider setting: yt-dlp is told where it is, and the guard lets exactly that host through."""

from __future__ import annotations

from redis.asyncio import Redis

from shared.jobs import IngestChunkRequest
from shared.keys import Keys
from shared.settings import WorkerSettings
from worker.resolve.jobs import build_resolve_service

INTERNAL = {"pot-provider": ["172.18.0.7"], "redis": ["172.18.0.2"]}


def _compose_dns(host: str, port: int) -> list[str]:
    return INTERNAL.get(host, ["93.184.216.34"])


class _NoChunks:
    async def schedule(self, request: IngestChunkRequest) -> None:
        raise AssertionError("no playlist is ingested here")


async def test_the_provider_is_configured_and_only_its_host_is_allowed(redis: Redis, keys: Keys) -> None:
    config = WorkerSettings(pot_provider_url="http://pot-provider:4416")
    service = build_resolve_service(
        redis=redis, keys=keys, config=config, providers=("youtube",), scheduler=_NoChunks(), resolver=_compose_dns
    )
    guard = service.parts.guard
    assert (await guard.check("http://pot-provider:4416/get_pot")).allowed
    assert not (await guard.check("http://redis:6379/")).allowed
    assert not (await guard.check("http://172.18.0.7:4416/")).allowed, "the address itself is not allow-listed"
    params = service.parts.ytdlp._params
    assert params["extractor_args"] == {"youtubepot-bgutilhttp": {"base_url": ["http://pot-provider:4416"]}}
    service.close()
