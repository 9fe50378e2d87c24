"""No dead metric: every public method of a `*Metrics` class is called by product code outside its own module
(a method nobody calls is a series that never moves, and an alert on it could never fire)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.services.processes import ROOT

METRICS = ROOT / "shared/observability_metrics.py"
PRODUCT = ("gateway", "shared", "worker")


def _public_methods() -> list[tuple[str, str]]:
    tree = ast.parse(METRICS.read_text())
    return [
        (cls.name, item.name)
        for cls in tree.body
        if isinstance(cls, ast.ClassDef) and cls.name.endswith("Metrics")
        for item in cls.body
        if isinstance(item, ast.FunctionDef) and not item.name.startswith("_")
    ]


def _product_sources() -> dict[Path, str]:
    return {path: path.read_text() for package in PRODUCT for path in (ROOT / package).rglob("*.py") if path != METRICS}


def test_every_metric_method_is_called_by_product_code() -> None:
    methods = _public_methods()
    assert len(methods) >= 10
    sources = _product_sources()
    dead = [
        f"{cls}.{name}"
        for cls, name in methods
        if not any(re.search(rf"\.{name}\(", text) for text in sources.values())
    ]
    assert dead == [], f"metric methods no product code calls: {dead}"
