"""Offline yt-dlp extractors for encore's tests: a search backend, a paged playlist and a stand-in for YouTube videos,
all on the loopback server.

Loaded through yt-dlp's plugin mechanism: the directory holding `yt_dlp_plugins/` goes on sys.path before the first
YoutubeDL is built (tests/media/fixtures.py does that). The index base URL is the extractor argument
`localsearch:base` (or, for worker processes, which take no extractor arguments, the environment variable
LOCALSEARCH_BASE; default http://127.0.0.1:8765) and its path `localsearch:index` (LOCALSEARCH_INDEX; default
search/index.json), so a test can search a catalogue of its own (tests/media/catalogue.py).

Failing providers for the provider chain: `localfail_<class>` (one search key per class of FAILURES) fails every
search the way the real sites do (the exact yt-dlp errors YouTube raises, a real 403 or 429 from the loopback
server, a refused connection); `localcloud` searches the same index as SoundCloud would, a Go+ preview among the
results; `localtrap` finds the index's items at /blocked/<class>/ URLs whose extraction fails with that class (a
track found on a provider that then blocks its stream).
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterator
from typing import Any, Final, override

from yt_dlp.extractor.common import InfoExtractor, SearchInfoExtractor
from yt_dlp.utils import ExtractorError, InAdvancePagedList

_DEFAULT_BASE: Final = "http://127.0.0.1:8765"
_DEFAULT_INDEX: Final = "search/index.json"
_WORD: Final = re.compile(r"[^\W_]+")


def _words(text: str) -> set[str]:
    """Words of any script, accents dropped and case folded (a search engine's leniency)."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()
    return set(_WORD.findall(folded))


def _base(ie: InfoExtractor) -> str:
    default = os.environ.get("LOCALSEARCH_BASE", _DEFAULT_BASE)
    configured: str = ie._configuration_arg("base", [default], ie_key="localsearch")[0]
    return configured.rstrip("/")


class LocalSearchIE(SearchInfoExtractor):  # type: ignore[misc]  # yt_dlp is untyped
    """`localsearch[N|all]:query` against /search/index.json: every item holding all query words, in index order."""

    IE_NAME = "localsearch"
    _SEARCH_KEY = "localsearch"
    _MAX_RESULTS = 50

    def _search_results(self, query: str) -> Iterator[dict[str, Any]]:
        base = _base(self)
        default = os.environ.get("LOCALSEARCH_INDEX", _DEFAULT_INDEX)
        path = self._configuration_arg("index", [default], ie_key="localsearch")[0].strip("/")
        index = self._download_json(f"{base}/{path}", query, note="Downloading local search index")
        wanted = _words(query)
        for item in index:
            fields = (item["title"], item.get("artist"), item.get("channel"), item.get("isrc"))
            if wanted and wanted <= _words(" ".join(f for f in fields if f)):
                yield self._entry(base, item)

    def _entry(self, base: str, item: dict[str, Any]) -> dict[str, Any]:
        return {
            "_type": "url_transparent",
            "url": item["url"],
            "ie_key": "Generic",
            "id": item["id"],
            "title": item["title"],
            "artist": item.get("artist"),
            "channel": item.get("channel"),
            "isrc": item.get("isrc"),
            "duration": item.get("duration"),
        }


def _youtube_refusal(ie: InfoExtractor, reason: str) -> ExtractorError:
    """What yt-dlp's YouTube extractor raises for a playability `reason` that asks to sign in."""
    hint = (
        f"{ie._login_hint(method='cookies')}. Also see  {_COOKIE_HOWTO}  for tips on effectively exporting YouTube"
        " cookies"
    )
    return ExtractorError(f"{reason}. {hint}", expected=True)


def _fail(ie: InfoExtractor, failure: str, video_id: str) -> None:
    """Fail as the real sites do for `failure` (a ProviderFailure value)."""
    base = _base(ie)
    if failure == "bot_check":
        raise _youtube_refusal(ie, "Sign in to confirm you’re not a bot")
    if failure == "login_required":
        raise _youtube_refusal(ie, "Sign in to confirm your age. This video may be inappropriate for some users")
    if failure == "po_token":
        raise ExtractorError(
            f"{video_id}: web client https formats require a GVS PO Token which was not provided. They will be skipped"
            " as they may yield HTTP Error 403",
            expected=True,
        )
    if failure == "geo_blocked":
        ie.raise_geo_restricted("The uploader has not made this video available in your country", countries=["ZZ"])
    if failure == "unavailable":
        raise ExtractorError("Video unavailable. This video has been removed by the uploader", expected=True)
    if failure == "rate_limited":
        ie._download_json(f"{base}/limited/{video_id}", video_id)
    if failure == "forbidden":
        ie._download_json(f"{base}/forbidden/{video_id}", video_id)
    if failure == "network":
        ie._download_json(f"http://127.0.0.1:{_CLOSED_PORT}/{video_id}", video_id)
    raise ExtractorError(f"unknown failure {failure}", expected=True)


_CLOSED_PORT: Final = 9
_COOKIE_HOWTO: Final = "https://github.com/yt-dlp/yt-dlp/wiki/Extractors#exporting-youtube-cookies"
FAILURES: Final = (
    "bot_check", "login_required", "po_token", "forbidden", "geo_blocked", "unavailable", "rate_limited", "network",
)  # fmt: skip


def _failing_search(failure: str) -> type[SearchInfoExtractor]:
    def _search_results(self: SearchInfoExtractor, query: str) -> Iterator[dict[str, Any]]:
        _fail(self, failure, "search")
        yield from ()

    key = f"localfail_{failure}"
    attrs: dict[str, Any] = {"IE_NAME": key, "_SEARCH_KEY": key, "_MAX_RESULTS": 50, "_search_results": _search_results}
    return type(f"LocalFail_{failure}_IE", (SearchInfoExtractor,), attrs)


for _failure in FAILURES:
    globals()[f"LocalFail_{_failure}_IE"] = _failing_search(_failure)


class LocalCloudIE(LocalSearchIE):
    """`localcloud:` the index as SoundCloud's search lists it (extractor_key Soundcloud), every query's first hit a
    Go+ track: its search entry 30 s long, its page (LocalGoPlusIE) offering only a `_preview` format."""

    IE_NAME = "localcloud"
    _SEARCH_KEY = "localcloud"

    @override
    def _search_results(self, query: str) -> Iterator[dict[str, Any]]:
        results = list(super()._search_results(query))
        if results:
            first, base = results[0], _base(self)
            path = first["url"].removeprefix(base).lstrip("/")
            yield {**first, "id": f"{first['id']}-goplus", "duration": 30.0, "url": f"{base}/goplus/{path}"}
        yield from results

    @override
    def _entry(self, base: str, item: dict[str, Any]) -> dict[str, Any]:
        return {**super()._entry(base, item), "extractor_key": "Soundcloud"}


class LocalGoPlusIE(InfoExtractor):  # type: ignore[misc]  # yt_dlp is untyped
    """http://127.0.0.1:<port>/goplus/<path>: a Go+ track as yt-dlp's SoundCloud extractor gives it to a
    non-subscriber: one format, the 30-second preview (format id `..._preview`, preference -10)."""

    IE_NAME = "LocalGoPlus"
    _VALID_URL = r"(?P<base>https?://127\.0\.0\.1:\d+)/goplus/(?P<id>[^?#]+)"

    def _real_extract(self, url: str) -> dict[str, Any]:
        match = re.match(self._VALID_URL, url)
        assert match is not None
        preview = {"url": f"{match['base']}/{match['id']}", "format_id": "http_mp3_1_0_preview", "vcodec": "none"}
        return {"id": match["id"], "title": "Go+ track", "formats": [{**preview, "preference": -10}]}


class LocalTrapIE(LocalSearchIE):
    """`localtrap:` the index's items at /blocked/bot_check/... (LocalBlockedIE): found, but their streams refused
    with YouTube's bot check."""

    IE_NAME = "localtrap"
    _SEARCH_KEY = "localtrap"

    @override
    def _entry(self, base: str, item: dict[str, Any]) -> dict[str, Any]:
        path = item["url"].removeprefix(base).lstrip("/")
        return {**super()._entry(base, item), "url": f"{base}/blocked/bot_check/{path}", "ie_key": "LocalBlocked"}


class LocalBlockedIE(InfoExtractor):  # type: ignore[misc]  # yt_dlp is untyped
    """http://127.0.0.1:<port>/blocked/<class>/<path>: a video whose extraction fails with that class."""

    IE_NAME = "LocalBlocked"
    _VALID_URL = r"https?://127\.0\.0\.1:\d+/blocked/(?P<failure>[a-z_]+)/(?P<id>[^?#]+)"

    def _real_extract(self, url: str) -> dict[str, Any]:
        match = re.match(self._VALID_URL, url)
        assert match is not None
        _fail(self, match["failure"], match["id"])
        raise AssertionError("unreachable")


class LocalPagedIE(InfoExtractor):  # type: ignore[misc]  # yt_dlp is untyped
    """http://127.0.0.1:<port>/paged/<id>: a playlist whose pages (page_<k>.json) are fetched as consumed."""

    IE_NAME = "localpaged"
    _VALID_URL = r"https?://127\.0\.0\.1:\d+/paged/(?P<id>[\w-]+)/?$"

    def _real_extract(self, url: str) -> dict[str, Any]:
        playlist_id = self._match_id(url)
        base = url.rstrip("/")
        meta = self._download_json(f"{base}/meta.json", playlist_id, note="Downloading playlist metadata")

        def page(k: int) -> Iterator[dict[str, Any]]:
            items = self._download_json(f"{base}/page_{k}.json", playlist_id, note=f"Downloading page {k}")
            for item in items:
                yield {
                    "_type": "url",
                    "url": item["url"],
                    "ie_key": "Generic",
                    "id": item["id"],
                    "title": item["title"],
                    "duration": item["duration"],
                }

        entries = InAdvancePagedList(page, meta["pages"], meta["page_size"])
        result: dict[str, Any] = self.playlist_result(entries, playlist_id, meta["title"])
        result["playlist_count"] = meta["count"]
        return result


class LocalYouTubeIE(InfoExtractor):  # type: ignore[misc]  # yt_dlp is untyped
    """http://127.0.0.1:<port>/tube/<11-character id>/<file>?d=<seconds>: a "YouTube video" whose audio is
    /e2e/<file> on the same server. It answers as yt-dlp's YouTube extractor does (extractor "youtube", the video id
    as `id`), so what encore does for YouTube videos (SponsorBlock) can be tested offline."""

    IE_NAME = "localyoutube"
    _VALID_URL = (
        r"(?P<base>https?://127\.0\.0\.1:\d+)/tube/(?P<id>[A-Za-z0-9_-]{11})/(?P<file>[\w.-]+)(?:\?d=(?P<d>\d+))?$"
    )

    def _real_extract(self, url: str) -> dict[str, Any]:
        match = re.match(self._VALID_URL, url)
        assert match is not None
        return {
            "id": match["id"],
            "title": f"tube {match['id']}",
            "url": f"{match['base']}/e2e/{match['file']}",
            "ext": match["file"].rsplit(".", 1)[-1],
            "vcodec": "none",
            "duration": int(match["d"]) if match["d"] else None,
            "extractor": "youtube",
            "extractor_key": "Youtube",
        }
