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
from recete_app.backend.config import PROJECT_ROOT, Settings, get_settings
from recete_app.backend.migrations import upgrade_database

log = logging.getLogger("recete.launcher")


def run_app(
    *, prod: bool, frontend_port: int, backend_port: int, backend_host: str | None = None
) -> int:
    """`backend_host`: the address the backend listens on; unset, the settings decide
    (RECETE_BIND_HOST, else 127.0.0.1 in dev and 0.0.0.0 in prod)."""
    settings = get_settings()
    host = backend_host or settings.backend_bind_host()
    if prod:
        backend_port = frontend_port  # Reflex serves everything on one port in production
    if not _ports_free(host, {frontend_port, backend_port}):
        return 1
    # Background jobs of a non-interactive shell inherit SIGINT as ignored: take it back.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    settings.root_secret()  # fail fast in prod; create the dev secret once
    env = {**os.environ, "RECETE_DATABASE_URL": _prepare_database(settings)}
    command = reflex_command(
        prod=prod, frontend_port=frontend_port, backend_port=backend_port, backend_host=host
    )
    log.info(
        "starting Reflex: dashboard http://localhost:%s  backend http://%s:%s",
        frontend_port,
        host,
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


def _ports_free(host: str, ports: set[int]) -> bool:
    busy = [port for port in sorted(ports) if _port_in_use(host, port)]
    if busy:
        log.error(
            "port(s) %s already in use: is Recete already running? Stop it, or pass "
            "--frontend-port/--backend-port.",
            ", ".join(map(str, busy)),
        )
    return not busy


def _prepare_database(settings: Settings) -> str:
    """Start the embedded server unless one is configured, migrate; the database URL."""
    url = db.database_url()
    where = (
        f"embedded PostgreSQL in {settings.embedded_pgdata}"
        if settings.embedded_database
        else "RECETE_DATABASE_URL"
    )
    log.info("database: %s", where)
    upgrade_database()
    return url


def reflex_command(
    *, prod: bool, frontend_port: int, backend_port: int, backend_host: str
) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "reflex",
        "run",
        "--frontend-port",
        str(frontend_port),
        "--backend-port",
        str(backend_port),
        # Reflex's own default is 0.0.0.0: the whole network could reach a dev backend.
        "--backend-host",
        backend_host,
    ]
    if prod:
        command += ["--env", "prod"]
    return command


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


def _port_in_use(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))  # the address Reflex will bind
        except OSError:
            return True
    return False


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt
