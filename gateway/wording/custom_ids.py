"""The custom ids of encore's message components; all start with `encore:` so the router can claim them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

PREFIX: Final = "encore:"
_PICK: Final = re.compile(r"^encore:pick:([0-9a-f]{32}):([0-9])$")


class PlayerButton(StrEnum):
    """The buttons under the now-playing message; the value is the custom id suffix."""

    TOGGLE = "toggle"
    SKIP = "skip"
    LOOP = "loop"
    SHUFFLE = "shuffle"
    STOP = "stop"

    @property
    def custom_id(self) -> str:
        return f"{PREFIX}np:{self.value}"


@dataclass(frozen=True, slots=True)
class SearchPick:
    """A click on result `index` of the `/search` whose results are stored under `search_id`."""

    search_id: str
    index: int

    @property
    def custom_id(self) -> str:
        return f"{PREFIX}pick:{self.search_id}:{self.index}"


def parse(custom_id: str) -> PlayerButton | SearchPick | None:
    """What a click means; None for ids that are not encore's (or no longer understood)."""
    if custom_id.startswith(f"{PREFIX}np:"):
        try:
            return PlayerButton(custom_id.removeprefix(f"{PREFIX}np:"))
        except ValueError:
            return None
    match = _PICK.fullmatch(custom_id)
    if match is not None:
        return SearchPick(match.group(1), int(match.group(2)))
    return None
