"""Turns raw slash-command options into shared models, or an InvalidInputError whose text the user sees."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from pydantic import ValidationError

from gateway.wording.language import command_word, mark, number, tr
from shared.commands import MAX_SEEK_MS, MAX_SKIP
from shared.errors import InvalidInputError
from shared.jobs import MAX_QUERY_LENGTH
from shared.lyrics import MAX_LYRICS_QUERY
from shared.models import (
    EQ_BANDS_HZ,
    EQ_MAX_GAIN_DB,
    EqualizerPreset,
    FilterChain,
    FilterPreset,
    InsertPosition,
    LoopMode,
    SponsorCategory,
)

MIN_SPEED: Final = 0.5
MAX_SPEED: Final = 2.0
MAX_VOLUME: Final = 200
MAX_TIME_TEXT: Final = 20
MAX_SPONSOR_TEXT: Final = 200
"""A time is short text (`1:02:03.500` is 11 characters); anything longer is refused before parsing."""
_SHOWN: Final = 20
ECHO_LENGTH: Final = 24
_CLOCK: Final = re.compile(r"(?:([0-9]{1,2}):)?([0-9]{1,3}):([0-9]{1,2})(?:\.([0-9]{1,3}))?", re.ASCII)
_UNITS: Final = re.compile(r"(?:([0-9]{1,3})h)?(?:([0-9]{1,4})m)?(?:([0-9]{1,6}(?:\.[0-9]{1,3})?)s?)?", re.ASCII)
_FILTER_TOKEN: Final = re.compile(r"^([a-z0-9]+)(?:[=:]([0-9.]+)(x|%|db|hz)?)?$")
_PARAMETERS: Final = {"speed", "pitch"}
_PRESET_PARAMETER: Final = {FilterPreset.BASSBOOST: "bass_gain_db", FilterPreset.EIGHT_D: "rotation_hz"}
_ALIASES: Final = {"bass": "bassboost", "eightd": "8d", "rotate": "8d", "vapor": "vaporwave", "nc": "nightcore"}
FILTER_NAMES: Final = (*(preset.value for preset in FilterPreset), "speed", "pitch")


@dataclass(frozen=True, slots=True)
class SeekTarget:
    position_ms: int
    relative: bool


def parse_query(raw: str) -> str:
    """A `/play` or `/search` query: trimmed, not empty, not longer than the resolver accepts."""
    query = " ".join(raw.split())
    if not query:
        raise InvalidInputError(tr("Tell me what to play: a link or some search words."))
    if len(query) > MAX_QUERY_LENGTH:
        raise InvalidInputError(_too_long(query, MAX_QUERY_LENGTH))
    return query


def _too_long(query: str, limit: int) -> str:
    return tr(
        "That query is too long ({length} characters; the limit is {limit}).",
        length=number(len(query)),
        limit=number(limit),
    )


def parse_lyrics_query(raw: str | None) -> str | None:
    """A `/lyrics` query: None when none was given; trimmed, not empty, at most MAX_LYRICS_QUERY characters, no
    control or format characters (whitespace of any kind becomes one space)."""
    if raw is None:
        return None
    query = " ".join(raw.split())
    if not query:
        raise InvalidInputError(tr("Tell me which song: its title, and the artist if you like."))
    if len(query) > MAX_LYRICS_QUERY:
        raise InvalidInputError(_too_long(query, MAX_LYRICS_QUERY))
    if any(unicodedata.category(c) in ("Cc", "Cf") for c in query):
        raise InvalidInputError(
            tr("That query contains characters that are not allowed (control or format characters).")
        )
    return query


def parse_when(raw: str | None) -> InsertPosition:
    if raw is None or not raw.strip():
        return InsertPosition.END
    try:
        return InsertPosition(raw.strip().lower())
    except ValueError:
        raise InvalidInputError(tr("`when` must be one of: end, next, now.")) from None


def parse_loop(raw: str) -> LoopMode:
    try:
        return LoopMode(raw.strip().lower())
    except ValueError:
        raise InvalidInputError(tr("Loop mode must be one of: off, track, queue.")) from None


def shown(raw: str, limit: int = _SHOWN) -> str:
    """User text quoted back in a reply: control and format characters (bidi overrides, NUL) and backticks
    dropped, clipped to `limit` characters."""
    kept = _printable(raw)
    return kept if len(kept) <= limit else kept[: limit - 1] + "…"


def echo(raw: str) -> str:
    """The member's input in backticks as an error repeats it (cleaned like `shown`): whole when short, else its
    start and length."""
    text = _printable(raw)
    if len(text) <= ECHO_LENGTH:
        return f"`{text}`"
    return tr("`{start}…` ({length} characters)", start=text[: ECHO_LENGTH - 1], length=number(len(text)))


def _printable(raw: str) -> str:
    return "".join(c for c in raw.strip() if c != "`" and unicodedata.category(c) not in ("Cc", "Cf"))


SPONSOR_NAMES: Final = tuple(category.value for category in SponsorCategory)
_SPONSOR_OFF: Final = frozenset({"off", "none"})
_SPONSOR_ALIASES: Final = {"nonmusic": "music_offtopic", "non_music": "music_offtopic", "self_promo": "selfpromo"}


def parse_sponsorblock(spec: str) -> tuple[SponsorCategory, ...]:
    """`sponsor, intro` -> those categories in SponsorBlock's order; `all`; `off` or `none` -> none (off)."""
    tokens = [token.replace("-", "_") for token in re.split(r"[,\s]+", spec.strip().lower()) if token]
    if not tokens:
        raise InvalidInputError(
            tr("Name SponsorBlock categories ({known}), `all` or `off`.", known=", ".join(SPONSOR_NAMES))
        )
    if len(tokens) == 1 and tokens[0] in _SPONSOR_OFF:
        return ()
    if len(tokens) == 1 and tokens[0] == "all":
        return tuple(SponsorCategory)
    chosen: set[SponsorCategory] = set()
    for token in tokens:
        name = _SPONSOR_ALIASES.get(token, token)
        if name not in SPONSOR_NAMES:
            raise InvalidInputError(
                tr(
                    "`{name}` is not a SponsorBlock category. Known: {known}.",
                    name=shown(token),
                    known=", ".join(SPONSOR_NAMES),
                )
            )
        chosen.add(SponsorCategory(name))
    return tuple(category for category in SponsorCategory if category in chosen)


MAX_PROVIDERS_TEXT: Final = 200
_PROVIDERS_DEFAULT: Final = frozenset({"default", "all", "reset"})


def parse_providers(spec: str, offered: Sequence[str]) -> tuple[str, ...]:
    """`soundcloud, youtube` -> that order of search providers, each one the operator offers (`offered`);
    `default` -> () (the operator's order)."""
    tokens = [token.replace("-", "").replace("_", "") for token in re.split(r"[,>\s]+", spec.strip().lower()) if token]
    names = {name.replace("_", ""): name for name in offered}
    listed = ", ".join(offered)
    if not tokens:
        raise InvalidInputError(tr("Name search providers in order ({listed}) or `default`.", listed=listed))
    if len(tokens) == 1 and tokens[0] in _PROVIDERS_DEFAULT:
        return ()
    chosen: list[str] = []
    for token in tokens:
        if token not in names:
            raise InvalidInputError(
                tr("`{name}` is not a search provider here. Available: {listed}.", name=shown(token), listed=listed)
            )
        if names[token] in chosen:
            raise InvalidInputError(tr("`{name}` is listed twice: name each search provider once.", name=shown(token)))
        chosen.append(names[token])
    return tuple(chosen)


def parse_duration_ms(raw: str, shown_as: str | None = None) -> int:
    """`83`, `1:23`, `1:02:03`, `1m23s`, `90s`, `2h` -> milliseconds (never negative); ASCII digits only. Errors
    repeat `shown_as` (the member's input, sign included) or `raw`."""
    text = raw.strip().lower().replace(" ", "")
    quoted = echo(raw if shown_as is None else shown_as)
    if len(text) > MAX_TIME_TEXT:
        raise InvalidInputError(
            tr(
                "{quoted} is too long for a time: use 83, 1:23, 1:02:03, +15 or -10 (at most {limit}).",
                quoted=quoted,
                limit=MAX_TIME_TEXT,
            )
        )
    clock = _CLOCK.fullmatch(text)
    if clock is not None:
        hours, minutes, seconds, fraction = clock.groups()
        if int(seconds) >= 60 or (hours is not None and int(minutes) >= 60):
            raise InvalidInputError(tr("{quoted} is not a valid time: use 83, 1:23 or 1:02:03.", quoted=quoted))
        total = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
        return total * 1000 + int((fraction or "0").ljust(3, "0"))
    units = _UNITS.fullmatch(text)
    if text and units is not None and any(units.groups()):
        hours, minutes, seconds = units.groups()
        return round((int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)) * 1000)
    raise InvalidInputError(
        tr("{quoted} is not a time I understand: use 83, 1:23, 1:02:03, +15 or -10.", quoted=quoted)
    )


def parse_seek(raw: str) -> SeekTarget:
    """A seek position: absolute (`1:23`, `83`) or relative to the current position (`+15`, `-10`)."""
    text = raw.strip()
    sign = 0
    if text and text[0] in "+-":
        sign = 1 if text[0] == "+" else -1
        text = text[1:]
    if not text:
        raise InvalidInputError(tr("Give a position such as 1:23, 83, +15 or -10."))
    milliseconds = parse_duration_ms(text, shown_as=raw)
    if milliseconds > MAX_SEEK_MS:
        raise InvalidInputError(tr("That position is beyond 24 hours."))
    if sign:
        return SeekTarget(sign * milliseconds, relative=True)
    return SeekTarget(milliseconds, relative=False)


def parse_volume(value: int) -> int:
    if not 0 <= value <= MAX_VOLUME:
        raise InvalidInputError(tr("Volume must be between 0 and {limit} (100 is normal).", limit=MAX_VOLUME))
    return value


def parse_skip_count(value: int | None) -> int:
    count = 1 if value is None else value
    if not 1 <= count <= MAX_SKIP:
        raise InvalidInputError(tr("You can skip between 1 and {limit} tracks.", limit=MAX_SKIP))
    return count


def parse_position(value: int, *, name: str = "position") -> int:
    """A 1-based queue position as users see it -> the 0-based index the store takes (`name`: the option's)."""
    if value < 1:
        raise InvalidInputError(
            tr("`{name}` must be 1 or more (the first queued track is 1).", name=command_word(name))
        )
    return value - 1


def parse_page(value: int | None) -> int:
    """A 1-based page number -> 0-based page index."""
    if value is None:
        return 0
    if value < 1:
        raise InvalidInputError(tr("Pages start at 1."))
    return value - 1


def parse_filters(spec: str) -> FilterChain:
    """`nightcore, bassboost=12, speed=1.1x` -> a FilterChain; presets keep their order, each at most once."""
    tokens = [token for token in re.split(r"[,\s]+", spec.strip().lower()) if token]
    if not tokens:
        raise InvalidInputError(tr("Name at least one filter: {known}.", known=", ".join(FILTER_NAMES)))
    presets: list[FilterPreset] = []
    values: dict[str, float] = {}
    for token in tokens:
        name, value = _filter_token(token)
        if name in _PARAMETERS:
            _set_once(values, name, _required(name, value))
            continue
        preset = FilterPreset(name)
        if preset in presets:
            raise InvalidInputError(tr("`{name}` is listed twice.", name=name))
        presets.append(preset)
        parameter = _PRESET_PARAMETER.get(preset)
        if value is not None and parameter is None:
            raise InvalidInputError(tr("`{name}` takes no value.", name=name))
        if value is not None and parameter is not None:
            values[parameter] = value
    return _build_chain(tuple(presets), values)


def _filter_token(token: str) -> tuple[str, float | None]:
    match = _FILTER_TOKEN.match(token)
    if match is None:
        raise InvalidInputError(_not_a_filter(token))
    name, raw_value, unit = match.groups()
    name = _ALIASES.get(name, name)
    if name not in FILTER_NAMES:
        raise InvalidInputError(_not_a_filter(name))
    if raw_value is None:
        return name, None
    try:
        value = float(raw_value)
    except ValueError:
        raise InvalidInputError(tr("`{value}` is not a number.", value=shown(raw_value))) from None
    if not math.isfinite(value):
        raise InvalidInputError(tr("`{value}` is not a number.", value=shown(raw_value)))
    return name, value / 100 if unit == "%" else value


def _not_a_filter(name: str) -> str:
    return tr("`{name}` is not a filter. Known: {known}.", name=shown(name), known=", ".join(FILTER_NAMES))


def _required(name: str, value: float | None) -> float:
    if value is None:
        raise InvalidInputError(tr("`{name}` needs a value, e.g. `{name}=1.25`.", name=name))
    return value


def _set_once(values: dict[str, float], name: str, value: float) -> None:
    if name in values:
        raise InvalidInputError(tr("`{name}` is listed twice.", name=name))
    values[name] = value


_LIMITS: Final = {
    "speed": mark("speed must be between 0.5 and 2"),
    "pitch": mark("pitch must be between 0.5 and 2"),
    "bass_gain_db": mark("bassboost gain must be between 0 and 20 dB"),
    "rotation_hz": mark("8d rotation must be between 0.01 and 5 Hz"),
}


def _build_chain(presets: tuple[FilterPreset, ...], values: dict[str, float]) -> FilterChain:
    try:
        return FilterChain.model_validate({"presets": presets, **values})
    except ValidationError as exc:
        fields = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
        problems = [tr(_LIMITS[field]) for field in sorted(fields) if field in _LIMITS]
        if not problems:
            raise InvalidInputError(tr("Invalid filters.")) from None
        text = "; ".join(problems)
        raise InvalidInputError(tr("{problems}.", problems=text[:1].upper() + text[1:])) from None


def parse_equalizer_preset(raw: str) -> EqualizerPreset:
    try:
        return EqualizerPreset(raw.strip().lower())
    except ValueError:
        known = ", ".join(preset.value for preset in EqualizerPreset)
        raise InvalidInputError(
            tr("`{name}` is not an equalizer preset. Known: {known}.", name=shown(raw), known=known)
        ) from None


def parse_equalizer_band(hz: int, gain_db: float) -> tuple[int, float]:
    """A band in Hz (one of `EQ_BANDS_HZ`) and a gain in dB (−12 to +12, kept to 0.1 dB)."""
    if hz not in EQ_BANDS_HZ:
        raise InvalidInputError(
            tr("{hz} Hz is not a band. Bands: {bands} Hz.", hz=hz, bands=", ".join(map(str, EQ_BANDS_HZ)))
        )
    if not math.isfinite(gain_db) or abs(gain_db) > EQ_MAX_GAIN_DB:
        raise InvalidInputError(tr("The gain must be from −{limit} to +{limit} dB.", limit=f"{EQ_MAX_GAIN_DB:g}"))
    return hz, round(gain_db, 1) + 0.0
