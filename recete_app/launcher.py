"""`recete run`: start the database (embedded unless configured), migrate, run Reflex.

Ctrl-C stops Reflex and its children, then the embedded PostgreSQL this process started.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys

from recete_app.backend import db
from recete_app.backend.config import PROJECT_ROOT, get_settings
from recete_app.backend.migrations import upgrade_database

log = logging.getLogger("recete.launcher")


def run_app(*, prod: bool, frontend_port: int, backend_port: int) -> int:
    if prod:
        backend_port = frontend_port  # Reflex serves everything on one port in production
    busy = [port for port in sorted({frontend_port, backend_port}) if _port_in_use(port)]
    if busy:
        log.error(
            "port(s) %s already in use: is Recete already running? Stop it, or pass "
            "--frontend-port/--backend-port.",
            ", ".join(map(str, busy)),
        )
        return 1
    # Background jobs of a non-interactive shell inherit SIGINT as ignored: take it back.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    settings = get_settings()
    settings.root_secret()  # fail fast in prod; create the dev secret once
    url = db.database_url()
    where = (
        f"embedded PostgreSQL in {settings.embedded_pgdata}"
        if settings.embedded_database
        else "RECETE_DATABASE_URL"
    )
    log.info("database: %s", where)
    upgrade_database()
    env = {**os.environ, "RECETE_DATABASE_URL": url}
    command = [
        sys.executable,
        "-m",
        "reflex",
        "run",
        "--frontend-port",
        str(frontend_port),
        "--backend-port",
        str(backend_port),
    ]
    if prod:
        command += ["--env", "prod"]
    log.info(
        "starting Reflex: dashboard http://localhost:%s  backend http://localhost:%s",
        frontend_port,
        backend_port,
    )
    child = subprocess.Popen(  # noqa: S603  (our own interpreter and arguments)
        command, cwd=PROJECT_ROOT, env=env, start_new_session=True
    )
    try:
        return child.wait()
    except KeyboardInterrupt:
        log.info("stopping")
        return 0
    finally:
        _stop_group(child)
        if settings.embedded_database:
            db.release_embedded_server()
            log.info("embedded PostgreSQL released")


def _stop_group(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is not None:
        return
    try:
        os.killpg(child.pid, signal.SIGTERM)
        child.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))  # noqa: S104  (the same address Reflex binds)
        except OSError:
            return True
    return False


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt
