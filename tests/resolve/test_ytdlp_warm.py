"""A worker imports the common extractors at start, so its first extraction (often a takeover's) does not."""

from __future__ import annotations

import subprocess
import sys
import textwrap

PROBE = textwrap.dedent(
    """
    import asyncio, sys
    from worker.resolve.guard import UrlGuard
    from worker.resolve.ytdlp import YtDlp

    async def main(warm):
        ytdlp = YtDlp(UrlGuard(("127.0.0.1",)), threads=1, params={"socket_timeout": 5})
        await ytdlp.start(warm=warm)
        ytdlp.close()
        print(sorted(m for m in sys.modules if m.startswith("yt_dlp.extractor.youtube")), ytdlp.calls)

    asyncio.run(main(sys.argv[1] == "warm"))
    """
)


def _imported_after_start(how: str) -> str:
    done = subprocess.run([sys.executable, "-c", PROBE, how], capture_output=True, text=True, timeout=120, check=True)
    return done.stdout.strip()


def test_a_warm_start_imports_youtubes_extractors_and_counts_no_extraction() -> None:
    warm = _imported_after_start("warm")
    assert "'yt_dlp.extractor.youtube._tab'" in warm, warm
    assert warm.endswith(" 0"), "the warm-up is not an extraction"
    assert "_tab" not in _imported_after_start("cold"), "without the warm-up the first extraction would import it"
