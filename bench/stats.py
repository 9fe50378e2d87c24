"""Order statistics of the benchmark scripts."""

from __future__ import annotations


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank quantile `q` (0..1) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]
