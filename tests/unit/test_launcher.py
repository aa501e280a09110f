"""`recete run`: the Reflex command line it starts, and where the backend listens."""

from __future__ import annotations

import sys

import pytest

from recete_app.backend.config import Settings
from recete_app.cli import build_parser
from recete_app.launcher import reflex_command


def _host_of(command: list[str]) -> str:
    return command[command.index("--backend-host") + 1]


def test_the_dev_backend_listens_on_this_machine_only() -> None:
    host = Settings(env="dev").backend_bind_host()
    assert host == "127.0.0.1"
    command = reflex_command(prod=False, frontend_port=3000, backend_port=8000, backend_host=host)
    assert command[:4] == [sys.executable, "-m", "reflex", "run"]
    assert _host_of(command) == "127.0.0.1"
    assert "--env" not in command


def test_production_listens_everywhere_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Settings(env="prod").backend_bind_host() == "0.0.0.0"  # noqa: S104
    monkeypatch.setenv("RECETE_BIND_HOST", "10.0.0.5")
    assert Settings(env="prod").backend_bind_host() == "10.0.0.5"
    command = reflex_command(prod=True, frontend_port=3000, backend_port=3000, backend_host="::1")
    assert _host_of(command) == "::1"
    assert command[-2:] == ["--env", "prod"]


def test_recete_run_takes_an_explicit_backend_host() -> None:
    args = build_parser().parse_args(["run", "--backend-host", "0.0.0.0"])  # noqa: S104
    assert args.backend_host == "0.0.0.0"  # noqa: S104
    assert build_parser().parse_args(["run"]).backend_host is None
