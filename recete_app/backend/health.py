"""Readiness: the database answers at the current schema, and Redis answers when configured."""

from __future__ import annotations

import sqlalchemy as sa

from recete_app.backend.config import get_settings
from recete_app.backend.db import get_engine
from recete_app.backend.migrations import current_head


def readiness() -> dict[str, str | None]:
    """Each check's problem, or None when it passes."""
    checks: dict[str, str | None] = {"database": _database_problem()}
    settings = get_settings()
    if settings.redis_url:
        checks["redis"] = _redis_problem(settings.redis_url)
    return checks


def _database_problem() -> str | None:
    try:
        with get_engine().connect() as conn:
            version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    except Exception as exc:
        return f"unreachable ({type(exc).__name__})"
    head = current_head()
    if version != head:
        return f"schema at {version}, expected {head}: run `recete db upgrade`"
    return None


def _redis_problem(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping()
    except Exception as exc:
        return f"unreachable ({type(exc).__name__})"
    return None
