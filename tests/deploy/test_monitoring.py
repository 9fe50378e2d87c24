"""The alert rules and docs/operations.md refer to metrics the services really expose."""

from __future__ import annotations

import re
from typing import Any

import yaml

from shared.observability import GatewayMetrics, Metrics, WorkerMetrics
from tests.deploy.dockerfile import ROOT

ALERTS = ROOT / "deploy/prometheus/encore-alerts.yaml"
RULE_TESTS = sorted((ROOT / "deploy/prometheus/tests").glob("*.yaml"))
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


def _labels() -> dict[str, set[str]]:
    """Series names → the label names encore gives them."""
    labels: dict[str, set[str]] = {}
    for m in (GatewayMetrics(), WorkerMetrics()):
        registry: Any = m.registry
        for collector in list(registry._collector_to_names):  # private: the label names of empty families
            names: tuple[str, ...] = getattr(collector, "_labelnames", ())
            for series in registry._collector_to_names[collector]:
                labels.setdefault(series, set()).update(names)
    return labels


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


def test_every_metric_the_docs_and_rule_tests_name_exists() -> None:
    """Names cannot drift: the docs and the alert rules' tests speak of series the services really expose."""
    known = _series_names() | set(_families(GatewayMetrics(), WorkerMetrics()))
    text = OPERATIONS.read_text()
    reference = text[text.index("## Metrics reference") : text.index("## Backing up Redis")]
    documented = set(re.findall(r"`(encore_[a-z_]+)`", reference))
    assert len(documented) >= 15
    assert documented - known == set(), "docs/operations.md names metrics encore does not expose"
    for path in RULE_TESTS:
        used = set(re.findall(r"\bencore_[a-z_]+", path.read_text())) - {"encore_alerts"}
        assert used - known == set(), f"{path.name} feeds series encore does not expose"


def test_alert_label_matchers_use_real_labels() -> None:
    labels = _labels()
    document: dict[str, Any] = yaml.safe_load(ALERTS.read_text())
    for rule in (rule for group in document["groups"] for rule in group["rules"]):
        for name, matchers in re.findall(r"\b(encore_[a-z_]+)\{([^}]*)\}", rule["expr"]):
            used = set(re.findall(r"([a-z_]+)\s*[=!]~?", matchers))
            assert used <= labels.get(name, set()) | {"job", "instance"}, f"{rule['alert']}: {name}{{{matchers}}}"
