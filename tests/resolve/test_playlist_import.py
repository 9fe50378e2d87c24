"""`/playlist import` and `add` on the worker: files read by the pure rules, attachments only from the CDN hosts and
within the size, links through the resolver's guard and playlist path; and `/playlist load` queued as a playlist."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest
from redis.asyncio import Redis

from shared.failures import ProblemKind, Refusal
from shared.jobs import ResolveStatus, SkipKind, Skipped
from shared.keys import Keys
from shared.models import Track
from shared.playlists import AttachmentRef, ImportRequest, ImportStatus, PlaylistDocument
from shared.queue_store import QueueStore
from shared.settings import WorkerSettings
from tests.media.server import MediaServer
from tests.resolve.conftest import GUILD, RecordingScheduler, make_request, started_service
from worker.resolve.guard import UrlGuard
from worker.resolve.playlist_import import checked, read_document
from worker.resolve.service import ResolveService

GUARD = UrlGuard(allowed_hosts=("127.0.0.1",))
A = Track(url="https://media.example/a.mp3", title="A", duration_ms=61_500, artist="Someone")
B = Track(url="https://media.example/b.ogg", title="B")


def test_a_document_reads_back_exactly() -> None:
    document = PlaylistDocument(name="Mine", tracks=(A, B))
    result = read_document("\ufeff\n" + document.model_dump_json())
    assert (result.status, result.tracks, result.title) == (ImportStatus.FOUND, (A, B), "Mine")


@pytest.mark.parametrize(
    "text",
    [
        '{"format": "encore.playlist", "version": 1, "name": "x", "tracks": [], "extra": 1}',
        '{"format": "encore.playlist", "version": 2, "name": "x", "tracks": []}',
        '{"format": "other", "version": 1, "name": "x", "tracks": []}',
        '{"format": "encore.playlist", "version": 1, "name": "x", "tracks": [{"url": "https://a/b", "title": 5}]}',
        '{"format": "encore.playlist", "version": 1, "name": "x", "tracks": [{"url": "https://a/b"}]}',
        '{"format": "encore.playlist", "version": 1, "name": "x", "tracks": [{"url": "https://a/b", "title": "t",'
        ' "duration_ms": "long"}]}',
        '{"format": "encore.playlist", "version": 1, "name": "", "tracks": []}',
        '{"format": "encore.playlist", "version": 1, "name": "x", "tracks": "a"}',
        '{"format": "encore.playlist", "version": 1, "name": "x", "tracks": [',
        "[1, 2, 3]",
        "<?xml version='1.0'?><playlist/>",
    ],
)
def test_a_file_that_is_no_playlist_is_malformed(text: str) -> None:
    assert read_document(text).status is ImportStatus.MALFORMED


def test_m3u_and_pls_entries_and_the_first_line_that_is_no_link() -> None:
    m3u = "#EXTM3U\n#EXTINF:61.5,A\nhttps://media.example/a.mp3\n\nhttps://media.example/b.ogg\n"
    found = read_document(m3u)
    assert found.status is ImportStatus.FOUND
    assert [(t.url, t.title, t.duration_ms) for t in found.tracks] == [
        (A.url, "A", 61_500),
        (B.url, "b.ogg", None),
    ]
    bad = read_document("#EXTM3U\nhttps://media.example/a.mp3\nhello there\n")
    assert (bad.status, bad.line) == (ImportStatus.MALFORMED, 3)
    assert read_document("relative/b.mp3\n").line == 1, "nothing to resolve a relative entry against"
    assert read_document("[playlist]\nFile1=https://media.example/a.mp3\nTitle1=A\n").tracks[0].title == "A"
    assert read_document("[playlist]\nFile1=relative.mp3\n").status is ImportStatus.MALFORMED
    assert read_document("#EXTM3U\n#EXT-X-TARGETDURATION:10\nhttps://a/b.ts\n").status is ImportStatus.MALFORMED


def test_a_document_over_the_schemas_bound_is_too_many() -> None:
    tracks = ",".join('{"url":"https://a/b","title":"t"}' for _ in range(5001))
    text = f'{{"format":"encore.playlist","version":1,"name":"x","tracks":[{tracks}]}}'
    assert read_document(text).status is ImportStatus.TOO_MANY
    long_m3u = "#EXTM3U\n" + "https://a/b.mp3\n" * 6000
    assert (read_document(long_m3u).status, read_document(long_m3u).count) == (ImportStatus.TOO_MANY, 6000)


def test_checked_refuses_the_whole_file_for_one_bad_entry_or_too_many() -> None:
    private = Track(url="http://10.0.0.8/a.mp3", title="x")
    local = Track(url="file:///etc/passwd", title="y")
    found = read_document(PlaylistDocument(name="n", tracks=(A, private, local)).model_dump_json())
    refused = checked(found, GUARD, 10)
    assert (refused.status, refused.count, refused.tracks) == (ImportStatus.REFUSED, 2, ())
    assert refused.problem is not None and refused.problem.refusal is Refusal.PRIVATE
    many = checked(read_document(PlaylistDocument(name="n", tracks=(A, B, A)).model_dump_json()), GUARD, 2)
    assert (many.status, many.count) == (ImportStatus.TOO_MANY, 3)
    empty = checked(read_document(PlaylistDocument(name="n", tracks=()).model_dump_json()), GUARD, 2)
    assert empty.status is ImportStatus.NOTHING_FOUND
    assert checked(read_document("#EXTM3U\n"), GUARD, 2).status is ImportStatus.NOTHING_FOUND


@pytest.fixture
async def cdn_service(
    redis: Redis,
    keys: Keys,
    worker_settings: WorkerSettings,
    ytdlp_params: Mapping[str, Any],
    scheduler: RecordingScheduler,
) -> AsyncIterator[ResolveService]:
    """The loopback media server stands in for Discord's CDN."""
    settings = worker_settings.model_copy(update={"attachment_hosts": ("127.0.0.1",)})
    started = await started_service(redis, keys, settings, ytdlp_params, scheduler)
    yield started
    started.close()


def attachment(url: str, size: int = 100) -> ImportRequest:
    ref = AttachmentRef(url=url, filename="list.pls", size=size)
    return ImportRequest(attachment=ref, max_entries=10, max_bytes=4096)


async def test_an_attachment_is_read_from_the_cdn_only_and_within_its_size(
    cdn_service: ResolveService, service: ResolveService, media_server: MediaServer
) -> None:
    found = await cdn_service.import_playlist(attachment(media_server.url("lists/radio.pls")))
    assert (found.status, len(found.tracks)) == (ImportStatus.FOUND, 3)
    downloads = media_server.count("/lists/")
    too_large = await cdn_service.import_playlist(attachment(media_server.url("lists/radio.pls"), size=4097))
    assert (too_large.status, too_large.count) == (ImportStatus.TOO_LARGE, 4097)
    other_host = await service.import_playlist(attachment(media_server.url("lists/radio.pls")))
    assert other_host.status is ImportStatus.NOT_ALLOWED, "127.0.0.1 is allowed to the guard, not as the CDN"
    assert media_server.count("/lists/") == downloads, "neither was downloaded"
    lied = ImportRequest(attachment=AttachmentRef(url=media_server.url("lists/radio.pls"), filename="x", size=10),
                         max_entries=10, max_bytes=50)  # fmt: skip
    assert (await cdn_service.import_playlist(lied)).status is ImportStatus.TOO_LARGE, "the bytes, not the claim"


async def test_links_go_through_the_guard_and_the_playlist_path(
    service: ResolveService, media_server: MediaServer
) -> None:
    def link(text: str, max_entries: int = 10) -> ImportRequest:
        return ImportRequest(link=text, max_entries=max_entries, max_bytes=4096)

    pls = await service.import_playlist(link(media_server.url("lists/radio.pls")))
    assert (pls.status, len(pls.tracks), pls.title) == (ImportStatus.FOUND, 3, "radio.pls")
    mix = await service.import_playlist(link(media_server.url("lists/mix.m3u")))
    assert (mix.status, mix.count) == (ImportStatus.REFUSED, 2), "two entries point at a file and the metadata"
    assert (await service.import_playlist(link(media_server.url("lists/radio.pls"), 2))).status is ImportStatus.TOO_MANY
    private = await service.import_playlist(link("http://192.168.1.10/list.m3u"))
    assert private.status is ImportStatus.REFUSED and private.problem is not None
    assert private.problem.refusal is Refusal.PRIVATE
    one = await service.import_playlist(link(media_server.url("media/tone1_220hz.mp3")))
    assert (one.status, len(one.tracks)) == (ImportStatus.FOUND, 1)
    page = await service.import_playlist(link(media_server.url("audio.html")))
    assert (page.status, [t.title for t in page.tracks]) == (
        ImportStatus.FOUND,
        ["Encore test tones (1)", "Encore test tones (2)", "Encore test tones (3)"],
    ), "a yt-dlp playlist: its entries, not queued"
    paged = await service.import_playlist(link(media_server.url("paged/p5000")))
    assert paged.status is ImportStatus.TOO_MANY, "a paged playlist read no further than the limit"
    searched = await service.import_playlist(link("tone 1"))
    assert searched.status is ImportStatus.FOUND and len(searched.tracks) == 1
    missing = await service.import_playlist(link(media_server.url("missing/nothing-here.mp3")))
    assert missing.status is ImportStatus.FAILED and missing.problem is not None
    assert missing.problem.kind is ProblemKind.NOT_FOUND


async def test_a_saved_playlist_is_queued_as_a_playlist_with_each_entry_guarded_again(
    service: ResolveService, media_server: MediaServer, redis: Redis, keys: Keys
) -> None:
    saved = (
        Track(url=media_server.url("media/tone1_220hz.mp3"), title="one"),
        Track(url="http://169.254.169.254/latest", title="metadata"),
        Track(url=media_server.url("media/tone1_220hz.ogg"), title="two"),
    )
    result = await service.resolve(make_request("Evening", saved=saved))
    assert (result.status, result.queued, result.playlist_title) == (ResolveStatus.QUEUED, 2, "Evening")
    assert result.skipped == (Skipped(kind=SkipKind.REFUSED, count=1),)
    items = await QueueStore(redis, keys).all_items(GUILD)
    assert [item.track.title for item in items] == ["one", "two"]
