"""An offline stand-in for a video site with radio mixes, on the loopback media server (tests/media/documents.py).

`/tube/watch/<id>` is one video (its metadata at `/tube/<id>.json`, its audio a tone of the library) and
`/tube/mix/<id>` its mix (`/tube/mix_<id>.json`): a playlist of related videos that, like YouTube's
`watch?v=<id>&list=RD<id>`, holds the seed itself and its neighbours. Autoplay's `MixSource` reaches it through
`WorkerSettings.mix_url` and `mix_extractors` (`localtube`), exactly as it reaches YouTube's mixes in production.
"""

from __future__ import annotations

import re
from typing import Any, Final

from yt_dlp.extractor.common import InfoExtractor

_BASE: Final = re.compile(r"^(https?://127\.0\.0\.1:\d+)/")


def _base(url: str) -> str:
    found = _BASE.match(url)
    assert found is not None
    return found.group(1)


class LocalTubeIE(InfoExtractor):  # type: ignore[misc]  # yt_dlp is untyped
    IE_NAME = "localtube"
    _VALID_URL = r"https?://127\.0\.0\.1:\d+/tube/watch/(?P<id>t\d{2})$"

    def _real_extract(self, url: str) -> dict[str, Any]:
        video_id = self._match_id(url)
        meta = self._download_json(f"{_base(url)}/tube/{video_id}.json", video_id, note="Downloading video metadata")
        fmt = {"url": meta["url"], "ext": meta["ext"], "vcodec": "none", "acodec": meta["acodec"]}
        return {
            "id": video_id,
            "title": meta["title"],
            "artist": meta["artist"],
            "duration": meta["duration"],
            "formats": [fmt],
        }


class LocalTubeMixIE(InfoExtractor):  # type: ignore[misc]  # yt_dlp is untyped
    IE_NAME = "localtube:mix"
    _VALID_URL = r"https?://127\.0\.0\.1:\d+/tube/mix/(?P<id>t\d{2})$"

    def _real_extract(self, url: str) -> dict[str, Any]:
        video_id = self._match_id(url)
        base = _base(url)
        videos = self._download_json(f"{base}/tube/mix_{video_id}.json", video_id, note="Downloading mix")
        entries = [
            {
                "_type": "url",
                "url": f"{base}/tube/watch/{video['id']}",
                "ie_key": LocalTubeIE.ie_key(),
                "id": video["id"],
                "title": video["title"],
                "duration": video["duration"],
            }
            for video in videos
        ]
        result: dict[str, Any] = self.playlist_result(entries, f"RD{video_id}", f"Mix - {video_id}")
        return result
