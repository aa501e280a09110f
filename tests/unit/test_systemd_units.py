"""deploy/systemd: the units pass `systemd-analyze verify` (run on instances of the templates,
with the programs they start pointed at this checkout's, which verify requires to exist), and
each long-running unit keeps the hardening the operations doc promises."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from recete_app.backend.config import PROJECT_ROOT

UNITS = PROJECT_ROOT / "deploy" / "systemd"
INSTANCES = {
    "recete-web@.service": "recete-web@8001.service",
    "recete-worker@.service": "recete-worker@9464.service",
    "recete-dashboard.service": "recete-dashboard.service",
    "recete-migrate.service": "recete-migrate.service",
    "recete.target": "recete.target",
}
HARDENING = (
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "PrivateTmp=yes",
    "ProtectHome=yes",
    "CapabilityBoundingSet=",
    "EnvironmentFile=/etc/recete/recete.env",
)
ANALYZE = shutil.which("systemd-analyze")


def test_every_unit_is_listed_here() -> None:
    assert {path.name for path in UNITS.iterdir() if path.suffix in {".service", ".target"}} == set(
        INSTANCES
    )


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed")
def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    assert ANALYZE is not None
    venv_bin = str(Path(sys.executable).parent) + "/"
    for template, instance in INSTANCES.items():
        text = (UNITS / template).read_text(encoding="utf-8")
        (tmp_path / instance).write_text(text.replace("/opt/recete/.venv/bin/", venv_bin))
    done = subprocess.run(
        [ANALYZE, "verify", "--man=no", *sorted(str(p) for p in tmp_path.iterdir())],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and not done.stderr.strip(), done.stderr


@pytest.mark.parametrize("unit", [u for u in INSTANCES if u.endswith(".service")])
def test_each_service_is_hardened(unit: str) -> None:
    lines = set((UNITS / unit).read_text(encoding="utf-8").splitlines())
    assert [setting for setting in HARDENING if setting not in lines] == []
    assert "User=recete" in lines
