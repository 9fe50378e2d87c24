"""Provider failures classified from what yt-dlp raises: each `localfail_<class>` search provider fails through real
yt-dlp as the real site does (YouTube's own words, a real 403 or 429, a refused connection), and the texts YouTube
answers with are read right whichever exception carries them."""

from __future__ import annotations

import pytest
from yt_dlp.utils import DownloadError, ExtractorError, YoutubeDLError

from shared.failures import PROVIDER_BLOCKS, ProviderFailure
from tests.media.server import MediaServer
from worker.resolve.failures import classify
from worker.resolve.guard import UrlGuard
from worker.resolve.provider_failures import provider_failure
from worker.resolve.ytdlp import YtDlp

# What yt-dlp 2026.10.26's YouTube extractor raises, as DownloadError's text (`ERROR: [youtube] <id>: <reason>`).
_HINT = (
    "Use --cookies-from-browser or --cookies for the authentication. See  https://github.com/yt-dlp/yt-dlp/wiki/FAQ"
    "#how-do-i-pass-cookies-to-yt-dlp  for how to manually pass cookies"
)
LOGIN = ProviderFailure.LOGIN_REQUIRED
YOUTUBE_SAYS = [
    (f"Sign in to confirm you\u2019re not a bot. {_HINT}", ProviderFailure.BOT_CHECK),
    (f"Sign in to confirm you're not a bot. {_HINT}", ProviderFailure.BOT_CHECK),
    ("Video unavailable. YouTube is requiring a captcha challenge before playback", ProviderFailure.BOT_CHECK),
    (f"Sign in to confirm your age. This video may be inappropriate for some users. {_HINT}", LOGIN),
    ("Join this channel to get access to members-only content like this video, and other exclusive perks.", LOGIN),
    ("Private video. Sign in if you've been granted access to this video", ProviderFailure.UNAVAILABLE),
    ("Video unavailable. This video has been removed by the uploader", ProviderFailure.UNAVAILABLE),
    (
        "This content isn't available, try again later. The current session has been rate-limited by YouTube for up "
        "to an hour.",
        ProviderFailure.RATE_LIMITED,
    ),
    ("Unable to download API page: HTTP Error 429: Too Many Requests", ProviderFailure.RATE_LIMITED),
    ("unable to download video data: HTTP Error 403: Forbidden", ProviderFailure.FORBIDDEN),
    ("web client https formats require a GVS PO Token which was not provided", ProviderFailure.PO_TOKEN),
    ("The uploader has not made this video available in your country", ProviderFailure.GEO_BLOCKED),
    ("Unable to extract yt initial data", ProviderFailure.OTHER),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), YOUTUBE_SAYS)
def test_youtubes_words_are_classified(text: str, expected: ProviderFailure) -> None:
    error = ExtractorError(text, expected=True, video_id="dQw4w9WgXcQ", ie="youtube")
    assert provider_failure(error) is expected
    wrapped = DownloadError(f"ERROR: {error.msg}", exc_info=(type(error), error, None))
    assert provider_failure(wrapped) is expected


@pytest.mark.parametrize("failure", [f for f in ProviderFailure if f is not ProviderFailure.OTHER])
async def test_each_failing_provider_fails_through_yt_dlp_with_its_class(
    failure: ProviderFailure, media_server: MediaServer
) -> None:
    ytdlp = YtDlp(
        UrlGuard(("127.0.0.1",)), threads=1, params={"extractor_args": {"localsearch": {"base": [media_server.base]}}}
    )
    try:
        with pytest.raises(YoutubeDLError) as raised:
            await ytdlp.slice(f"localfail_{failure.value}5:tone", 0, 5)
    finally:
        ytdlp.close()
    classify(raised.value)  # releases the HTTP response a 403 or 429 holds, as the resolver does
    assert provider_failure(raised.value) is failure


def test_blocks_are_the_provider_side_refusals() -> None:
    assert {f.value for f in PROVIDER_BLOCKS} == {
        "bot_check", "login_required", "po_token", "forbidden", "geo_blocked", "rate_limited",
    }  # fmt: skip
