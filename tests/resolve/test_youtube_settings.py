"""The provider catalogue and the YouTube production settings, checked against the installed yt-dlp."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic import ValidationError
from redis.asyncio import Redis
from yt_dlp.extractor import gen_extractor_classes
from yt_dlp.extractor.youtube import YoutubeIE

from shared.keys import Keys
from shared.settings import Settings, WorkerSettings
from tests.resolve.conftest import RecordingScheduler, started_service
from worker.resolve.providers import KNOWN
from worker.resolve.youtube import youtube_params

COOKIES = "# Netscape HTTP Cookie File\n.youtube.com\tTRUE\t/\tTRUE\t0\tSID\tsecret-session\n"


def test_every_known_provider_is_a_search_the_installed_yt_dlp_has() -> None:
    extractors = list(gen_extractor_classes())
    keys = {getattr(ie, "_SEARCH_KEY", None) for ie in extractors}
    for provider in KNOWN.values():
        if provider.search_key is not None:
            assert provider.search_key in keys, provider.name
        else:
            target = provider.target("daft punk", 5)
            assert any(ie.suitable(target) and "music:search_url" in ie.IE_NAME for ie in extractors), target


def test_yt_dlps_default_youtube_clients_are_what_the_docs_say() -> None:
    """docs/operations.md explains the defaults from these (web's streams need the PO-token provider)."""
    assert YoutubeIE._DEFAULT_CLIENTS == ("tv_samsung", "visionos", "web")


@pytest.mark.parametrize(
    ("providers", "message"),
    [
        ("youtube,bandcamp", "yt-dlp has no Bandcamp search"),
        ("youtube, soundcloud youtube", "listed twice"),
        ("You Tube!", "String should match pattern"),
    ],
)
def test_the_operators_chain_is_validated(providers: str, message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ENCORE_SEARCH_PROVIDERS", providers)
    with pytest.raises(ValidationError, match=message):
        Settings()


def test_player_clients_and_the_pot_provider_are_extractor_arguments() -> None:
    config = WorkerSettings(pot_provider_url="http://pot:4416", youtube_player_clients=("default", "-tv_samsung"))
    params, hosts = youtube_params(config, {"extractor_args": {"localsearch": {"base": ["x"]}}})
    assert hosts == ("pot",)
    assert params["extractor_args"] == {
        "localsearch": {"base": ["x"]},
        "youtubepot-bgutilhttp": {"base_url": ["http://pot:4416"]},
        "youtube": {"player_client": ["default", "-tv_samsung"]},
    }
    with pytest.raises(ValidationError):
        WorkerSettings(youtube_player_clients=("web;rm -rf",))


def test_the_cookies_file_is_read_from_a_private_copy(tmp_path: Path) -> None:
    secret = tmp_path / "cookies.txt"
    secret.write_text(COOKIES)
    secret.chmod(0o444)
    params, _ = youtube_params(WorkerSettings(cookies_file=secret), {})
    copy = Path(params["cookiefile"])
    assert copy != secret
    assert copy.read_text() == COOKIES
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600
    with pytest.raises(ValueError, match="cannot be read") as missing:
        youtube_params(WorkerSettings(cookies_file=tmp_path / "absent.txt"), {})
    assert "secret-session" not in str(missing.value)


async def test_a_provider_yt_dlp_does_not_know_stops_the_worker(
    redis: Redis, keys: Keys, worker_settings: WorkerSettings, scheduler: RecordingScheduler
) -> None:
    with pytest.raises(ValueError, match="no search for the providers nosuchsearch"):
        await started_service(redis, keys, worker_settings, {}, scheduler, ("localsearch", "nosuchsearch"))
