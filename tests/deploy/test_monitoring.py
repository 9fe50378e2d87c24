"""The alert rules and docs/operations.md refer to metrics the services really expose."""

from __future__ import annotations

import re
from typing import Any

import yaml

from shared.observability import GatewayMetrics, Metrics, WorkerMetrics
from tests.deploy.dockerfile import ROOT

ALERTS = ROOT / "deploy/prometheus/encore-alerts.yaml"
OPERATIONS = ROOT / "docs/operations.md"
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum"), "gauge": ("",)}


def _families(*metrics: Metrics) -> dict[str, str]:
    """encore_* metric family names → their type."""
    return {
        family.name: family.type
        for m in metrics
        for family in m.registry.collect()
        if family.name.startswith("encore_")
    }


def _series_names() -> set[str]:
    return {
        name + suffix
        for name, kind in _families(GatewayMetrics(), WorkerMetrics()).items()
        for suffix in SUFFIXES[kind]
    }


def test_alert_rules_are_complete_and_use_real_metrics() -> None:
    document: dict[str, Any] = yaml.safe_load(ALERTS.read_text())
    known = _series_names()
    rules = [rule for group in document["groups"] for rule in group["rules"]]
    assert len(rules) >= 8
    for rule in rules:
        assert set(rule) == {"alert", "expr", "for", "labels", "annotations"}, rule.get("alert")
        assert rule["labels"]["severity"] in ("critical", "warning", "info")
        assert rule["annotations"]["summary"]
        for name in re.findall(r"\bencore_[a-z_]+", rule["expr"]):
            assert name in known, f"{rule['alert']}: {name} is not a metric encore exposes"
        assert rule["alert"] in OPERATIONS.read_text(), f"docs/operations.md does not explain {rule['alert']}"


def test_operations_doc_lists_every_metric() -> None:
    text = OPERATIONS.read_text()
    for name, kind in _families(GatewayMetrics(), WorkerMetrics()).items():
        documented = name + ("_total" if kind == "counter" else "")
        assert f"`{documented}`" in text, f"docs/operations.md does not describe {documented}"
