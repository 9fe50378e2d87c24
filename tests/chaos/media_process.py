"""The loopback media server in a process of its own: `python -m tests.chaos.media_process <root>`.

It prints its base URL on the first line of stdout and serves until stdin closes or SIGTERM. Chaos tests time the
takeover at the listener; a media server inside the test process would wait on the GIL while the fake Discord
decrypts DAVE and decodes Opus, and FFmpeg's reads would make every takeover look slower than it is.
"""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

from tests.media.server import MediaServer


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m tests.chaos.media_process <root>", file=sys.stderr)
        return 2
    server = MediaServer(Path(argv[1])).start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())

    def wait_for_eof() -> None:
        sys.stdin.read()
        done.set()

    threading.Thread(target=wait_for_eof, daemon=True).start()
    print(server.base, flush=True)
    done.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
