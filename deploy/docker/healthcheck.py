"""Container HEALTHCHECK: exit 0 if the service's /healthz answers 200, else 1 (slim images have no curl).

Usage: python healthcheck.py ENCORE_WORKER__HEALTH_PORT  (the name of the variable that holds the port)
"""

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    port = os.environ.get(sys.argv[1] if len(sys.argv) > 1 else "", "") or "8080"
    url = f"http://127.0.0.1:{int(port)}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=4) as response:
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError, ValueError):
        return 1


if __name__ == "__main__":
    sys.exit(main())
