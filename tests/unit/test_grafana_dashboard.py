"""deploy/grafana/recete.json imports cleanly: checked without a Grafana by its shape (what the
import needs: a uid, a title, the Prometheus data source input, unique panel ids, panels laid on
the 24-column grid without overlapping), every query parses as PromQL (promtool, reading them as
recording rules), and every metric a query reads is one the code exposes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from recete_app.backend.config import PROJECT_ROOT
from tests.unit.test_alert_rules import exposed_metrics

DASHBOARD = PROJECT_ROOT / "deploy" / "grafana" / "recete.json"
PROMTOOL = shutil.which("promtool")


def _dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return loaded


def _queries() -> list[str]:
    return [t["expr"] for p in _dashboard()["panels"] for t in p.get("targets", [])]


def test_the_dashboard_has_what_an_import_needs() -> None:
    board = _dashboard()
    assert board["uid"] and board["title"] == "Recete" and board["schemaVersion"] >= 36
    assert [i["name"] for i in board["__inputs"]] == ["DS_PROMETHEUS"]
    panels = board["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    for panel in panels:
        if panel["type"] == "row":
            continue
        assert panel["targets"], panel["title"]
        assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}", panel["title"]


def test_the_panels_fit_the_grid_without_overlapping() -> None:
    taken: set[tuple[int, int]] = set()
    for panel in _dashboard()["panels"]:
        pos = panel["gridPos"]
        assert pos["x"] + pos["w"] <= 24, panel["title"]
        cells = {
            (x, y)
            for x in range(pos["x"], pos["x"] + pos["w"])
            for y in range(pos["y"], pos["y"] + pos["h"])
        }
        assert not cells & taken, panel["title"]
        taken |= cells


def test_every_query_reads_metrics_the_code_exposes() -> None:
    read = {name for query in _queries() for name in re.findall(r"recete_[a-z_]+", query)}
    assert read - exposed_metrics() == set()


@pytest.mark.skipif(PROMTOOL is None, reason="promtool is not installed")
def test_every_query_parses_as_promql(tmp_path: Path) -> None:
    assert PROMTOOL is not None
    rules = [{"record": f"dashboard:query_{n}", "expr": q} for n, q in enumerate(_queries())]
    path = tmp_path / "queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))
    done = subprocess.run(
        [PROMTOOL, "check", "rules", str(path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
