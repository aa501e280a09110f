"""The alert rules (deploy/prometheus/alerts.yml) pass `promtool check rules` and their tests
(`promtool test rules`), every alert has a case that fires and one that does not, and every
metric they read is one the code exposes."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from recete_app.backend.config import PROJECT_ROOT

RULES = PROJECT_ROOT / "deploy" / "prometheus" / "alerts.yml"
TESTS = PROJECT_ROOT / "deploy" / "prometheus" / "alerts_test.yml"
CONFIG = PROJECT_ROOT / "deploy" / "prometheus" / "prometheus.yml"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool is not installed (Debian's prometheus package has it)"
)


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _alerts() -> list[dict[str, Any]]:
    return [rule for group in _load(RULES)["groups"] for rule in group["rules"] if "alert" in rule]


@needs_promtool
def test_the_rules_and_the_example_config_are_valid_and_the_rules_tests_pass() -> None:
    assert PROMTOOL is not None
    commands = (
        ["check", "rules", str(RULES)],
        ["test", "rules", str(TESTS)],
        ["check", "config", str(CONFIG)],  # the example scrape configuration
    )
    for command in commands:
        done = subprocess.run(
            [PROMTOOL, *command], cwd=RULES.parent, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_every_alert_has_a_case_that_fires_and_one_that_does_not() -> None:
    fires: set[str] = set()
    quiet: set[str] = set()
    for case in _load(TESTS)["tests"]:
        for check in case.get("alert_rule_test", []):
            (fires if check["exp_alerts"] else quiet).add(check["alertname"])
    names = {alert["alert"] for alert in _alerts()}
    assert names - fires == set(), "alerts with no test that fires"
    assert names - quiet == set(), "alerts with no test that stays quiet"


def test_every_metric_the_alerts_read_is_exposed_by_the_code() -> None:
    read = {name for alert in _alerts() for name in re.findall(r"recete_[a-z_]+", alert["expr"])}
    assert read, "the rules read recete_ metrics"
    assert read - exposed_metrics() == set()


def exposed_metrics() -> set[str]:
    """Every `recete_` metric name the code defines (with a histogram's and counter's series)."""
    source = "\n".join(
        path.read_text(encoding="utf-8")
        for folder in ("recete_app", "tasks")
        for path in (PROJECT_ROOT / folder).rglob("*.py")
    )
    names = set(re.findall(r'"(recete_[a-z_]+)"', source))
    return names | {f"{name}{end}" for name in names for end in ("_bucket", "_count", "_sum")}
