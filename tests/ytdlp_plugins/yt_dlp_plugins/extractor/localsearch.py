"""Offline yt-dlp extractors for encore's tests: a search backend, a paged playlist and a stand-in for YouTube videos,
all on the loopback server.

Loaded through yt-dlp's plugin mechanism: the directory holding `yt_dlp_plugins/` goes on sys.path before the first
YoutubeDL is built (tests/media/fixtures.py does that). The index base URL is the extractor argument
`localsearch:base` (or, for worker processes, which take no extractor arguments, the environment variable
LOCALSEARCH_BASE; default http://127.0.0.1:8765) and its path `localsearch:index` (LOCALSEARCH_INDEX; default
search/index.json), so a test can search a catalogue of its own (tests/media/catalogue.py).
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterator
from typing import Any, Final

from yt_dlp.extractor.common import InfoExtractor, SearchInfoExtractor
from yt_dlp.utils import InAdvancePagedList

_DEFAULT_BASE: Final = "http://127.0.0.1:8765"
_DEFAULT_INDEX: Final = "search/index.json"
_WORD: Final = re.compile(r"[^\W_]+")


def _words(text: str) -> set[str]:
    """Words of any script, accents dropped and case folded (a search engine's leniency)."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()
    return set(_WORD.findall(folded))


class LocalSearchIE(SearchInfoExtractor):  # type: ignore[misc]  # yt_dlp is untyped
    """`localsearch[N|all]:query` against /search/index.json: every item holding all query words, in index order."""

    IE_NAME = "localsearch"
    _SEARCH_KEY = "localsearch"
    _MAX_RESULTS = 50

    def _search_results(self, query: str) -> Iterator[dict[str, Any]]:
        env_base = os.environ.get("LOCALSEARCH_BASE", _DEFAULT_BASE)
        base = self._configuration_arg("base", [env_base], ie_key="localsearch")[0].rstrip("/")
        env_index = os.environ.get("LOCALSEARCH_INDEX", _DEFAULT_INDEX)
        path = self._configuration_arg("index", [env_index], ie_key="localsearch")[0].strip("/")
        index = self._download_json(f"{base}/{path}", query, note="Downloading local search index")
        wanted = _words(query)
        for item in index:
            fields = (item["title"], item.get("artist"), item.get("channel"), item.get("isrc"))
            if wanted and wanted <= _words(" ".join(f for f in fields if f)):
                yield {
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
