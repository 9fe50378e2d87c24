"""How the equalizer is worded: band labels, a one-line summary, and the curve as a text chart for `/eq show`."""

from __future__ import annotations

from typing import Final

from gateway.wording.language import trn
from shared.models import EQ_BANDS_HZ, EQ_MAX_GAIN_DB, Equalizer

_HALF_WIDTH: Final = round(EQ_MAX_GAIN_DB)
"""Chart cells on each side of the 0 dB line: one per dB."""


def band_label(hz: int) -> str:
    """`25 Hz`, `630 Hz`, `1 kHz`, `1.6 kHz`, `16 kHz`."""
    return f"{hz / 1000:g} kHz" if hz >= 1000 else f"{hz} Hz"  # the English choice name; translated as one


def gain_text(gain_db: float) -> str:
    """`+6.0 dB`, `−3.5 dB`, `0.0 dB` (a true minus sign)."""
    if gain_db == 0:
        return "0.0 dB"
    return f"{gain_db:+.1f} dB".replace("-", "−")


def summary(equalizer: Equalizer) -> str:
    """`bass` for a preset's curve, else how many bands are changed: `custom (3 bands)`."""
    if equalizer.preset is not None:
        return equalizer.preset.value
    changed = sum(1 for gain in equalizer.gains_db if gain != 0)
    return trn("custom ({count} band)", "custom ({count} bands)", changed)


def chart(equalizer: Equalizer) -> str:
    """The curve as a fixed-width chart in a code block: one line per band, cuts left of the axis, boosts right."""
    lines = [f"{'':>7} {'−12':<{_HALF_WIDTH}}0{'+12':>{_HALF_WIDTH}}"]
    for hz, gain in equalizer.bands:
        cells = min(_HALF_WIDTH, round(abs(gain)))
        cut = ("█" * cells if gain < 0 else "").rjust(_HALF_WIDTH)
        boost = ("█" * cells if gain > 0 else "").ljust(_HALF_WIDTH)
        lines.append(f"{band_label(hz):>7} {cut}│{boost} {gain_text(gain):>8}")
    return "```\n" + "\n".join(lines) + "\n```"


BAND_NAMES: Final = tuple(band_label(hz) for hz in EQ_BANDS_HZ)
