"""The shipped alert rules pass `promtool check rules`, and their unit tests (deploy/prometheus/tests/) pass
`promtool test rules`: every alert fires on the series that should fire it and stays quiet on others."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.dockerfile import ROOT

RULES = sorted((ROOT / "deploy/prometheus").glob("*.yaml"))
RULE_TESTS = sorted((ROOT / "deploy/prometheus/tests").glob("*.yaml"))


def _promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is missing: scripts/test installs it (Debian package prometheus)")
    return subprocess.run([promtool, *map(str, args)], capture_output=True, text=True, timeout=120, check=False)


def _alerts(path: Path) -> set[str]:
    document: dict[str, Any] = yaml.safe_load(path.read_text())
    return {rule["alert"] for group in document["groups"] for rule in group["rules"] if "alert" in rule}


def test_the_rules_are_valid() -> None:
    assert RULES
    checked = _promtool("check", "rules", *RULES)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_rule_tests_pass() -> None:
    assert RULE_TESTS
    tested = _promtool("test", "rules", *RULE_TESTS)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_alert_is_tested_firing_and_quiet() -> None:
    firing: set[str] = set()
    quiet: set[str] = set()
    for path in RULE_TESTS:
        document: dict[str, Any] = yaml.safe_load(path.read_text())
        for test in document["tests"]:
            for case in test.get("alert_rule_test", []):
                (firing if case.get("exp_alerts") else quiet).add(case["alertname"])
    shipped = set().union(*(_alerts(path) for path in RULES))
    assert shipped, "no alerts found"
    assert shipped - firing == set(), "alerts never shown to fire"
    assert shipped - quiet == set(), "alerts never shown to stay quiet"
