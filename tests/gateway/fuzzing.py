"""Hypothesis strategies for interaction payloads, built from the commands the bot registered with the fake Discord.

Each drawn payload follows a registered declaration most of the time (so commands really run) and strays from it
often: values of the wrong JSON type or beyond 64 bits, strings with NUL, bidi overrides, combining marks and emoji,
strings past the declared length, unknown or duplicated options, missing required ones, unknown subcommands.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from hypothesis import strategies as st

type JSON = dict[str, Any]

SPECIAL: Final = ("\x00", "\u202e", "\u2066", "\u2069", "\u200f", "\u0301", "\u0336", "\u200b", "\ufeff", "😀")
SPECIAL_MORE: Final = ("👨\u200d👩\u200d👧", "`", "*", "\n", "\u0663", "ﷺ", ":", "+", "-", ".", ",", "=")
STEERING: Final = ("slow:", "playlist:")
"""Words the stand-in resolver obeys (see tests/gateway/doubles.py); a fuzzer must not make it sleep."""
OPTION_TYPES: Final = (3, 4, 5, 6, 7, 8, 9, 10, 11)


def _no_steering(text: str) -> bool:
    return not any(word.startswith(STEERING) for word in text.split())


pieces = st.one_of(
    st.characters(codec="utf-8", exclude_categories=["Cs"]),
    st.sampled_from(SPECIAL + SPECIAL_MORE),
    st.characters(min_codepoint=0x30, max_codepoint=0x39),
)
"""Characters, plus a few multi-codepoint pieces (an emoji family joined by ZWJ)."""


def text(min_size: int = 0, max_size: int = 30) -> st.SearchStrategy[str]:
    """Text made of `pieces`, at most `max_size` characters long."""
    joined = st.lists(pieces, min_size=min_size, max_size=max_size).map("".join)
    return joined.filter(lambda value: min_size <= len(value) <= max_size)


short_text = text().filter(_no_steering)
long_text = st.builds(lambda piece, n: (piece or "9") * n, text(max_size=4), st.integers(1, 1800))
texts = st.one_of(short_text, short_text, long_text.filter(_no_steering))
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**64 - 1),
    st.integers(-300, 300),
    st.floats(allow_nan=True, allow_infinity=True),
    texts,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(short_text, inner, max_size=3)),
    max_leaves=6,
)


@dataclass(frozen=True, slots=True)
class Ids:
    """Snowflakes of the world that role, channel and user options may name."""

    roles: Sequence[str]
    channels: Sequence[str]
    users: Sequence[str]


def valid_value(spec: Mapping[str, Any], ids: Ids) -> st.SearchStrategy[Any]:
    """A value the declaration allows (Discord would send it)."""
    kind = spec.get("type")
    if kind == 3:
        if spec.get("choices"):
            return st.sampled_from([choice["value"] for choice in spec["choices"]])
        top = int(spec.get("max_length") or 6000)
        return st.one_of(
            text(min_size=int(spec.get("min_length") or 0), max_size=min(top, 40)),
            st.sampled_from(["0:03", "83", "+15", "-10", "1:02:03", "5m", "nightcore, bassboost=12", "speed=1.1x"]),
        ).filter(lambda value: len(value) <= top and _no_steering(value))
    if kind in (4, 10):
        low = spec.get("min_value", -(2**53) + 1)
        high = spec.get("max_value", 2**53 - 1)
        return st.integers(low, high) if kind == 4 else st.floats(low, high)
    if kind == 5:
        return st.booleans()
    pools = {7: ids.channels, 8: ids.roles, 6: ids.users, 9: [*ids.users, *ids.roles]}
    return st.sampled_from(list(pools.get(int(kind or 0), ids.users)))


@st.composite
def leaf_options(draw: st.DrawFn, specs: Sequence[Mapping[str, Any]], ids: Ids) -> list[JSON]:
    options: list[JSON] = []
    for spec in specs:
        mode = draw(st.sampled_from(["valid", "valid", "valid", "omit", "stray"]))
        if mode == "omit" and not spec.get("required"):
            continue
        if mode == "omit" and draw(st.booleans()):
            continue
        if mode == "stray":
            kind = draw(st.sampled_from(OPTION_TYPES)) if draw(st.booleans()) else spec["type"]
            value = draw(json_values)
        else:
            kind, value = spec["type"], draw(valid_value(spec, ids))
        options.append({"name": spec["name"], "type": kind, "value": value})
    if draw(st.integers(0, 11)) == 0:
        names = [str(spec["name"]) for spec in specs] + ["zz", "\u202e", ""]
        options.append({"name": draw(st.sampled_from(names)), "type": draw(st.sampled_from(OPTION_TYPES)), "value": 1})
    return list(draw(st.permutations(options)))


@st.composite
def command_options(draw: st.DrawFn, declaration: Mapping[str, Any], ids: Ids) -> list[JSON]:
    """The `options` of an invocation of `declaration` (a subcommand chosen when it has them)."""
    declared: list[Mapping[str, Any]] = list(declaration.get("options") or [])
    nested = [option for option in declared if option.get("type") in (1, 2)]
    if not nested:
        return draw(leaf_options(declared, ids))
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from([[], [{"name": "bogus", "type": 1, "options": []}], [{"name": "set", "type": 3}]]))
    chosen = draw(st.sampled_from(nested))
    return [{"name": chosen["name"], "type": chosen["type"], "options": draw(command_options(chosen, ids))}]


def custom_ids(search_ids: Sequence[str]) -> st.SearchStrategy[object]:
    """Component custom ids: encore's own (valid or stale), near misses, foreign ones and non-strings."""
    buttons = [f"encore:np:{name}" for name in ("toggle", "skip", "loop", "shuffle", "stop")]
    picks = [f"encore:pick:{search}:{index}" for search in search_ids or ["0" * 32] for index in range(6)]
    return st.one_of(
        st.sampled_from(buttons + picks),
        st.builds(lambda base, tail: base + tail, st.sampled_from(buttons + picks + ["encore:", ""]), short_text),
        json_values,
    )
