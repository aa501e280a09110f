"""Readiness: the database answers at the current schema, and Redis answers when configured."""

from __future__ import annotations

import sqlalchemy as sa

from recete_app.backend.config import get_settings
from recete_app.backend.db import get_engine
from recete_app.backend.migrations import current_head


def readiness() -> dict[str, str | None]:
    """Each check's problem, or None when it passes."""
    checks: dict[str, str | None] = {"database": schema_problem()}
    settings = get_settings()
    if settings.redis_url:
        checks["redis"] = _redis_problem(settings.redis_url)
    return checks


def schema_problem() -> str | None:
    """What keeps the database from serving this code, or None. Read as the application role,
    as every request is; the owner is asked only when that fails, to tell a database no
    migration has touched (where the role itself does not exist yet) from one that is down."""
    try:
        with get_engine().connect() as conn:
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except Exception as exc:
        if _never_migrated():
            return "no schema yet: run `recete db upgrade`"
        return f"unreachable ({type(exc).__name__})"
    head = current_head()
    if version != head:
        return f"schema at {version}, expected {head}: run `recete db upgrade`"
    return None


def _never_migrated() -> bool:
    try:
        with get_engine(owner=True).connect() as conn:
            return conn.execute(sa.text("SELECT to_regclass('alembic_version')")).scalar() is None
    except Exception:
        return False  # the owner cannot tell either: the database is unreachable


def _redis_problem(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping()
    except Exception as exc:
        return f"unreachable ({type(exc).__name__})"
    return None
