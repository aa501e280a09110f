"""`recete run`: start the database (embedded unless configured), migrate, run Reflex.

Ctrl-C stops Reflex and its children, then the embedded PostgreSQL this process started.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys

from recete_app.backend import db
from recete_app.backend.config import PROJECT_ROOT, get_settings
from recete_app.backend.migrations import upgrade_database

log = logging.getLogger("recete.launcher")


def run_app(*, prod: bool, frontend_port: int, backend_port: int) -> int:
    settings = get_settings()
    settings.root_secret()  # fail fast in prod; create the dev secret once
    url = db.database_url()
    where = f"embedded PostgreSQL in {settings.embedded_pgdata}" if settings.embedded_database \
        else "RECETE_DATABASE_URL"
    log.info("database: %s", where)
    upgrade_database()
    env = {**os.environ, "RECETE_DATABASE_URL": url}
    command = [sys.executable, "-m", "reflex", "run", "--frontend-port", str(frontend_port),
               "--backend-port", str(backend_port)]
    if prod:
        command += ["--env", "prod"]
    log.info("starting Reflex: dashboard http://localhost:%s  backend http://localhost:%s",
             frontend_port, backend_port)
    child = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, start_new_session=True)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        return child.wait()
    except KeyboardInterrupt:
        log.info("stopping")
        return 0
    finally:
        _stop_group(child)


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


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt
