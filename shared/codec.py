"""orjson encoding for arq jobs and ad-hoc payloads: never pickle."""

from __future__ import annotations

from typing import Any

import orjson


def dumps(value: Any) -> bytes:
    """Serialize for arq (job arguments and results are plain JSON-compatible values)."""
    return orjson.dumps(value)


def loads(data: bytes | str) -> Any:
    return orjson.loads(data)
